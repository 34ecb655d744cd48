package io.sage.studio.finetune.api;

import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import io.sage.studio.common.auth.StudioPrincipal;
import io.sage.studio.common.models.HubSettings;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.task.TaskLifecycle;

/**
 * {@code POST /api/finetune/tasks/{id}/resume}: a paused task ({@link PauseResource}) is queued again as its next
 * attempt, from the trainer's latest checkpoint (or as the same attempt when it was paused before it started). 200 with
 * the task; 404 {@code task_not_found}, 409 {@code task_not_paused} (any other state) or {@code model_not_cached}
 * (offline, its base model no longer in the Hugging Face cache), 403 {@code not_owner}, 429
 * {@code quota_exceeded}.
 */
@Path("/api/finetune/tasks/{id}/resume")
@Produces(MediaType.APPLICATION_JSON)
public class ResumeResource {

    private final TaskLifecycle tasks;
    private final StudioPrincipal caller;
    private final HubSettings hub;

    public ResumeResource(TaskLifecycle tasks, StudioPrincipal caller, HubSettings hub) {
        this.tasks = tasks;
        this.caller = caller;
        this.hub = hub;
    }

    @POST
    @APIResponse(
            responseCode = "200",
            description = "the task, queued again (its next attempt, from the latest checkpoint)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Task.class)))
    public Task resume(@PathParam("id") String id) {
        TaskRecord record = tasks.record(id);
        caller.requireOwnerOrAdmin(record.owner(), "task " + id);
        // offline, a base model gone from the cache since the task was created fails here, not in the trainer
        hub.requireCached(record.modelName(), "model_name");
        return tasks.resume(id);
    }
}
