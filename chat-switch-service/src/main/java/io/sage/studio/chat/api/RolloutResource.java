package io.sage.studio.chat.api;

import java.util.List;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
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

import io.sage.studio.chat.ChatSwitchError;
import io.sage.studio.chat.rollout.Rollout;
import io.sage.studio.chat.rollout.RolloutRequest;
import io.sage.studio.chat.rollout.RolloutService;
import io.sage.studio.common.error.StudioException;

/** Gradual rollouts of a model in place of the default: {@code /api/chat/rollouts}. */
@Path("/api/chat/rollouts")
@Produces(MediaType.APPLICATION_JSON)
public class RolloutResource {

    private final RolloutService rollouts;

    public RolloutResource(RolloutService rollouts) {
        this.rollouts = rollouts;
    }

    /** Starts a rollout of a model served by name; 409 {@code rollout_in_progress} while another runs. */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @APIResponse(
            responseCode = "202",
            description = "the rollout started",
            content =
                    @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Rollout.class)))
    public Response start(RolloutRequest request) {
        if (request == null) {
            throw new StudioException(
                    ChatSwitchError.MISSING_BODY, "send {\"model\": ..., \"steps\": [10, 50, 100], ...}");
        }
        return Response.accepted(rollouts.start(request)).build();
    }

    /** The latest rollouts, newest first. */
    @GET
    public List<Rollout> list(@QueryParam("limit") @DefaultValue("20") int limit) {
        if (limit < 1 || limit > 200) {
            throw StudioException.invalidField("limit", "limit must be between 1 and 200");
        }
        return rollouts.recent(limit);
    }

    @GET
    @Path("/{id}")
    public Rollout get(@PathParam("id") String id) {
        return rollouts.find(id)
                .orElseThrow(() -> new StudioException(ChatSwitchError.ROLLOUT_NOT_FOUND, "no rollout " + id));
    }

    /** Makes the candidate the default now. */
    @POST
    @Path("/{id}/promote")
    public Rollout promote(@PathParam("id") String id) {
        return rollouts.promote(id);
    }

    /** Takes all traffic back to the baseline now. */
    @POST
    @Path("/{id}/abort")
    public Rollout abort(@PathParam("id") String id) {
        return rollouts.abort(id);
    }
}
