package io.sage.studio.finetune.api;

import java.util.List;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import io.sage.studio.common.auth.StudioPrincipal;
import io.sage.studio.finetune.evaluation.Evaluation;
import io.sage.studio.finetune.evaluation.EvaluationRequest;
import io.sage.studio.finetune.evaluation.EvaluationService;
import io.sage.studio.finetune.task.TaskLifecycle;

/**
 * {@code /api/finetune/tasks/{id}/evaluations}: evaluations of a completed task's model against a baseline. POST
 * queues one (202 {@code Evaluation}, state {@code queued}; owner or admin; 409 {@code task_not_completed}, 429
 * {@code evaluation_queue_full}, 400 field errors); GET lists them newest first without their samples, or shows one
 * whole (404 {@code evaluation_not_found}). The caller's {@code Authorization} is handed to the run (in memory only)
 * because serving a model by name is the caller's right, not the services'.
 */
@Path("/api/finetune/tasks/{id}/evaluations")
@Produces(MediaType.APPLICATION_JSON)
public class EvaluationResource {

    private final EvaluationService evaluations;
    private final TaskLifecycle tasks;
    private final StudioPrincipal caller;

    public EvaluationResource(EvaluationService evaluations, TaskLifecycle tasks, StudioPrincipal caller) {
        this.evaluations = evaluations;
        this.tasks = tasks;
        this.caller = caller;
    }

    /** A task's evaluations. */
    public record EvaluationList(@Schema(required = true) List<Evaluation> evaluations) {}

    @POST
    @APIResponse(
            responseCode = "202",
            description = "the evaluation, queued",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = Evaluation.class)))
    public Response start(@PathParam("id") String id, EvaluationRequest request, @Context HttpHeaders headers) {
        caller.requireOwnerOrAdmin(tasks.record(id).owner(), "task " + id);
        EvaluationRequest.Valid valid =
                (request == null ? new EvaluationRequest(null, null, null, null, null) : request).validated();
        Evaluation evaluation = evaluations.start(id, valid, headers.getHeaderString(HttpHeaders.AUTHORIZATION));
        return Response.accepted(evaluation).build();
    }

    @GET
    public EvaluationList list(@PathParam("id") String id) {
        return new EvaluationList(evaluations.list(id));
    }

    @GET
    @Path("/{eid}")
    public Evaluation get(@PathParam("id") String id, @PathParam("eid") String evaluationId) {
        return evaluations.get(id, evaluationId);
    }
}
