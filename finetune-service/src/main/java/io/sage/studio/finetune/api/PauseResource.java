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
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.task.TaskLifecycle;

/**
 * {@code POST /api/finetune/tasks/{id}/pause}: a long run gives its GPU back and goes on later ({@link ResumeResource})
 * from where it stopped. A queued task is {@code paused} at once; a running trainer is asked to checkpoint and exit, and
 * the task turns {@code paused} when it has (it holds no slot and no queue place meanwhile). 200 with the task; 404
 * {@code task_not_found}, 409 {@code task_not_pausable} (ended, or being cancelled), 403 {@code not_owner}.
 */
@Path("/api/finetune/tasks/{id}/pause")
@Produces(MediaType.APPLICATION_JSON)
public class PauseResource {

    private final TaskLifecycle tasks;
    private final StudioPrincipal caller;

    public PauseResource(TaskLifecycle tasks, StudioPrincipal caller) {
        this.tasks = tasks;
        this.caller = caller;
    }

    @POST
    @APIResponse(
            responseCode = "200",
            description = "the task: paused, or (a running trainer) pausing until it has checkpointed and stopped",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Task.class)))
    public Task pause(@PathParam("id") String id) {
        caller.requireOwnerOrAdmin(tasks.record(id).owner(), "task " + id);
        return tasks.pause(id);
    }
}
