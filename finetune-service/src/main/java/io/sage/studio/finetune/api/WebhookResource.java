package io.sage.studio.finetune.api;

import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import io.sage.studio.common.auth.StudioPrincipal;
import io.sage.studio.finetune.webhook.WebhookService;
import io.sage.studio.finetune.webhook.WebhookViews;

/**
 * {@code /api/webhooks}: outside URLs told of task, evaluation, switch and rollout events, signed the Standard
 * Webhooks way. POST registers one (201, its secret in this answer only; 400 naming {@code url}, {@code events[i]}
 * or {@code secret}; 429 {@code too_many_webhooks}); PATCH changes one's {@code enabled}, {@code events}, {@code url}
 * or {@code description} (the same checks; how a webhook disabled after failed deliveries is enabled again); GET
 * lists them or shows one (404 {@code webhook_not_found});
 * DELETE removes one with its deliveries (204); {@code …/deliveries} lists the latest deliveries newest first. Admin
 * only, reads included (the access table), because a webhook sends studio data out.
 */
@Path("/api/webhooks")
@Produces(MediaType.APPLICATION_JSON)
public class WebhookResource {

    private final WebhookService webhooks;
    private final StudioPrincipal caller;

    public WebhookResource(WebhookService webhooks, StudioPrincipal caller) {
        this.webhooks = webhooks;
        this.caller = caller;
    }

    @POST
    @APIResponse(
            responseCode = "201",
            description = "the webhook, with its secret (shown this once)",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = WebhookViews.Created.class)))
    public Response create(WebhookViews.Request request) {
        return Response.status(Response.Status.CREATED)
                .entity(webhooks.create(request, caller.name()))
                .build();
    }

    @GET
    public WebhookViews.ViewList list() {
        return webhooks.list();
    }

    @GET
    @Path("/{id}")
    public WebhookViews.View get(@PathParam("id") String id) {
        return webhooks.get(id);
    }

    @PATCH
    @Path("/{id}")
    public WebhookViews.View update(@PathParam("id") String id, WebhookViews.Patch patch) {
        return webhooks.update(id, patch, caller.name());
    }

    @DELETE
    @Path("/{id}")
    @APIResponse(responseCode = "204", description = "removed, with its deliveries")
    public Response delete(@PathParam("id") String id) {
        webhooks.delete(id);
        return Response.noContent().build();
    }

    @GET
    @Path("/{id}/deliveries")
    public WebhookViews.DeliveryList deliveries(
            @PathParam("id") String id, @QueryParam("limit") @DefaultValue("50") int limit) {
        return webhooks.deliveries(id, limit);
    }
}
