package io.sage.studio.chat.api;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import io.sage.studio.chat.ChatSwitchError;
import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.switching.ServeResult;
import io.sage.studio.chat.switching.ServingService;
import io.sage.studio.chat.switching.ServingView;
import io.sage.studio.chat.switching.SwitchOperation;
import io.sage.studio.common.error.StudioException;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;

/** The serving set: models addressable by name beside the default, {@code /api/chat/serving}. */
@Path("/api/chat/serving")
@Produces(MediaType.APPLICATION_JSON)
public class ServingResource {

    private final ServingService serving;
    private final Duration wait;

    public ServingResource(ServingService serving, ChatConfig config) {
        this.serving = serving;
        this.wait = config.readyTimeout().plus(config.drainGrace()).plusSeconds(30);
    }

    @GET
    @Operation(
            summary = "The engines and every model they serve by name",
            description = "The default model (what sage-chat reaches) first, then the models served by name, with"
                    + " their engine, state, rollout arm and the gateways' traffic.")
    public ServingView view() {
        return serving.view();
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Blocking
    @Operation(
            summary = "Serve a model by name beside the default",
            description = "A LoRA adapter is hot-loaded onto a running engine of its base (the least recently used"
                    + " adapter is unloaded when the engine is full); anything else gets an engine of its own when"
                    + " the GPUs have room. 200 when it is served already (or, with wait, once it is), 202 with the"
                    + " operation (GET /api/chat/switch/{operation_id}) otherwise.")
    @APIResponse(
            responseCode = "200",
            description = "served already (or ready, with wait)",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = ServeResult.class)))
    @APIResponse(
            responseCode = "202",
            description = "loading; follow the operation",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = ServeResult.class)))
    @APIResponse(
            responseCode = "409",
            description = "no_capacity, not_loadable_on_demand, switch_in_progress, ambiguous_model")
    public Uni<Response> serve(
            ServeRequest request,
            @Parameter(description = "wait until the model serves (also the body's wait)") @QueryParam("wait")
                    Boolean waitParam) {
        if (request == null) {
            throw new StudioException(ChatSwitchError.MISSING_BODY, "send {\"model\": ...}");
        }
        boolean onDemand = Boolean.TRUE.equals(request.onDemand());
        boolean waitForIt = Boolean.TRUE.equals(waitParam) || Boolean.TRUE.equals(request.untilReady());
        return answer(request.model(), onDemand, waitForIt, onDemand ? "gateway" : "api", request.tensorParallelSize());
    }

    /**
     * The gateways' load on demand: a request named a model the route does not serve. Only a hot-load onto a running
     * engine of its base is done (409 {@code not_loadable_on_demand} for anything that needs an engine of its own);
     * answers when the model serves. Open to viewers (the gateways call it with the services' token, whatever the
     * chat client's rights), because it loads only what the registry holds, into room an engine has, and unloads
     * only idle adapters — like vLLM's own LoRA resolver, which loads for any API caller.
     */
    @POST
    @Path("/on-demand")
    @Consumes(MediaType.APPLICATION_JSON)
    @Blocking
    @Operation(summary = "Load a fine-tune on demand (the gateways' call)")
    @APIResponse(
            responseCode = "200",
            description = "the model serves",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = ServeResult.class)))
    @APIResponse(
            responseCode = "409",
            description = "not_loadable_on_demand, no_capacity, switch_in_progress, ambiguous_model")
    public Uni<Response> onDemand(ServeRequest request) {
        if (request == null) {
            throw new StudioException(ChatSwitchError.MISSING_BODY, "send {\"model\": ...}");
        }
        return answer(request.model(), true, true, "gateway", null);
    }

    private Uni<Response> answer(
            String model, boolean onDemand, boolean waitForIt, String requestedBy, Integer tensorParallelSize) {
        ServingService.Outcome outcome = serving.serve(model, onDemand, requestedBy, tensorParallelSize);
        ServeResult result = outcome.result();
        if (!outcome.started()) {
            return Uni.createFrom().item(Response.ok(result).build());
        }
        if (!waitForIt) {
            return Uni.createFrom().item(Response.accepted(result).build());
        }
        CompletableFuture<SwitchOperation> done =
                serving.completion(result.operationId()).orElseThrow();
        return Uni.createFrom()
                .completionStage(done)
                .ifNoItem()
                .after(wait)
                .failWith(() -> new StudioException(
                        ChatSwitchError.SWITCH_TIMEOUT,
                        result.model() + " is still loading; follow it at GET /api/chat/switch/"
                                + result.operationId()))
                .map(op -> {
                    if (op.state() == SwitchOperation.State.FAILED) {
                        throw new StudioException(ChatSwitchError.SWITCH_FAILED, op.error(), List.of(op));
                    }
                    return Response.ok(new ServeResult(
                                    result.model(),
                                    result.displayName(),
                                    result.engine(),
                                    "ready",
                                    result.operationId()))
                            .build();
                });
    }

    @DELETE
    @Path("/{model: .+}")
    @Operation(
            summary = "Stop serving a model by name",
            description = "Unloads its adapter once in-flight requests finished, or stops its engine when nothing else"
                    + " on it is served. 404 model_not_served, 409 model_is_default / model_in_rollout.")
    public ServingService.Unserved unserve(
            @Parameter(description = "served name, task id or model id") @PathParam("model") String model) {
        return serving.unserve(model);
    }
}
