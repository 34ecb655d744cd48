package io.sage.studio.chat.api;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;

import io.sage.studio.chat.ChatSwitchError;
import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.switching.ChatOverview;
import io.sage.studio.chat.switching.SwitchOperation;
import io.sage.studio.chat.switching.SwitchService;
import io.sage.studio.common.error.StudioException;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;

/**
 * The seed's endpoints under {@code /api/finetune/}: they wait for the switch and answer the seed's fields
 * ({@link SeedSwitchResponse}); a failed switch is 502 {@code switch_failed} with the reason (the old model serves on).
 * {@code model_path} takes what the seed's clients send: a model id or path, a task's folder (its {@code output_dir}),
 * a name of {@code GET /api/finetune/models}, or the {@code current_model} read from {@code current-model}.
 */
@Path("/api/finetune")
@Produces(MediaType.APPLICATION_JSON)
public class FinetuneSwitchResource {

    private final SwitchService switches;
    private final ChatOverview overview;
    private final Duration wait;

    public FinetuneSwitchResource(SwitchService switches, ChatOverview overview, ChatConfig config) {
        this.switches = switches;
        this.overview = overview;
        this.wait =
                config.readyTimeout().multipliedBy(2).plus(config.drainGrace()).plusMinutes(1);
    }

    @GET
    @Path("/current-model")
    public ChatOverview.CurrentModel currentModel() {
        return overview.current();
    }

    @POST
    @Path("/switch-model")
    @Blocking
    public Uni<SeedSwitchResponse> switchModel(
            @QueryParam("model_path") String modelPath,
            @QueryParam("strategy") String strategy,
            @Parameter(
                            description = "a task's model needs a completed evaluation that is not worse (default: "
                                    + "studio.chat.require-evaluation)")
                    @QueryParam("require_evaluation")
                    Boolean requireEvaluation,
            @Parameter(description = "switch although the evaluation gate refuses (recorded on the operation)")
                    @QueryParam("force")
                    Boolean force) {
        if (modelPath == null || modelPath.isBlank()) {
            throw StudioException.invalidField("model_path", "model_path is required");
        }
        return await(switches.request(modelPath, null, strategy, "api", requireEvaluation, force));
    }

    @POST
    @Path("/use-as-backend")
    @Consumes(MediaType.APPLICATION_JSON)
    @Blocking
    public Uni<SeedSwitchResponse> useAsBackend(UseAsBackendRequest request) {
        if (request == null || request.taskId() == null || request.taskId().isBlank()) {
            throw StudioException.invalidField("task_id", "task_id is required");
        }
        return await(switches.request(
                null, request.taskId(), request.strategy(), "api", request.requireEvaluation(), request.force()));
    }

    private Uni<SeedSwitchResponse> await(SwitchOperation started) {
        CompletableFuture<SwitchOperation> done =
                switches.completion(started.id()).orElseThrow();
        return Uni.createFrom()
                .completionStage(done)
                .ifNoItem()
                .after(wait)
                .failWith(() -> new StudioException(
                        ChatSwitchError.SWITCH_TIMEOUT,
                        "switch " + started.id() + " is still running; follow it at GET /api/chat/switch/"
                                + started.id()))
                .map(op -> {
                    if (op.state() == SwitchOperation.State.FAILED) {
                        throw new StudioException(ChatSwitchError.SWITCH_FAILED, op.error(), List.of(op));
                    }
                    return SeedSwitchResponse.of(op);
                });
    }
}
