package io.sage.studio.finetune.api;

import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import io.sage.studio.common.auth.StudioPrincipal;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.task.TaskLifecycle;

/**
 * {@code POST /api/finetune/tasks/{id}/merge}: merges a completed LoRA/QLoRA task's adapter into {@code merged_model/}
 * (the trainer's {@code merge}, run by the task executor). Answers 202 with the task, whose {@code merge_run} shows the
 * merge; 404 {@code task_not_found}, 409 {@code task_not_completed} / {@code nothing_to_merge} /
 * {@code already_merged} (unless {@code force=true}) / {@code merge_in_progress}, 403 {@code not_owner}.
 */
@Path("/api/finetune/tasks/{id}/merge")
@Produces(MediaType.APPLICATION_JSON)
public class MergeResource {

    private final TaskLifecycle tasks;
    private final StudioPrincipal caller;

    public MergeResource(TaskLifecycle tasks, StudioPrincipal caller) {
        this.tasks = tasks;
        this.caller = caller;
    }

    @POST
    @APIResponse(
            responseCode = "202",
            description = "the task with its merge queued or running (merge_run)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Task.class)))
    public Response merge(
            @PathParam("id") String id,
            @Parameter(
                            description =
                                    "merge again although the task has merged_model/ (replaced once the new one is complete)")
                    @QueryParam("force")
                    @DefaultValue("false")
                    boolean force) {
        caller.requireOwnerOrAdmin(tasks.record(id).owner(), "task " + id);
        Task task = tasks.merge(id, caller.name(), force);
        return Response.accepted(task).build();
    }
}
