package io.sage.studio.finetune.api;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import io.sage.studio.common.auth.StudioPrincipal;
import io.sage.studio.common.models.HubSettings;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.task.TaskLifecycle;

/**
 * {@code POST /api/finetune/tasks/{id}/retry}: runs a failed or cancelled task again under the same id, as its next
 * attempt ({@code attempt}, {@code attempts}); from the trainer's latest checkpoint when {@code from_checkpoint}
 * (default) and the task folder has one. 200 with the task, queued; 404 {@code task_not_found}, 409
 * {@code task_not_retryable} (another state) or {@code model_not_cached} (offline, its base model no longer in the
 * Hugging Face cache), 403 {@code not_owner}, 429 {@code quota_exceeded}.
 */
@Path("/api/finetune/tasks/{id}/retry")
@Produces(MediaType.APPLICATION_JSON)
public class RetryResource {

    /** The body of a retry. */
    @Schema(name = "RetryRequest")
    public record RetryRequest(
            @Schema(description = "resume from the trainer's latest checkpoint when the task has one (default true)")
            Boolean fromCheckpoint) {}

    private final TaskLifecycle tasks;
    private final StudioPrincipal caller;
    private final HubSettings hub;

    public RetryResource(TaskLifecycle tasks, StudioPrincipal caller, HubSettings hub) {
        this.tasks = tasks;
        this.caller = caller;
        this.hub = hub;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RequestBody(
            required = false,
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = RetryRequest.class)))
    @APIResponse(
            responseCode = "200",
            description = "the task, queued for its next attempt",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Task.class)))
    public Task retry(@PathParam("id") String id, RetryRequest body) {
        TaskRecord record = tasks.record(id);
        caller.requireOwnerOrAdmin(record.owner(), "task " + id);
        // offline, a base model gone from the cache since the task was created fails here, not in the trainer
        hub.requireCached(record.modelName(), "model_name");
        boolean fromCheckpoint = body == null || body.fromCheckpoint() == null || body.fromCheckpoint();
        return tasks.retry(id, fromCheckpoint);
    }
}
