package io.sage.studio.finetune.domain;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A task as a page of the task list shows it ({@code GET /tasks?limit=…}): the {@link Task} without what only one
 * task's own view needs - {@code logs}, {@code config}, {@code attempts}, {@code warning_details}, {@code trackers},
 * {@code dataset_path}, {@code dataset_source} and {@code output_dir}. Those made up half of a task's JSON (more with a
 * real log tail), and a page's time was its bytes: the service only concatenates cached JSON, so what a page costs
 * is writing, sending and parsing it (issue 22, {@code bench/tasks}). The other fields keep their names and meaning,
 * so a client that shows a table and its actions reads a row as it read a task; {@code GET /tasks/{id}} has the rest.
 * The seed's unpaged array and the SSE stream still carry whole tasks.
 */
@Schema(
        name = "TaskRow",
        description = "a task in a page of the list: a Task without logs, config, attempts, warning_details, "
                + "trackers, dataset_path, dataset_source and output_dir (GET /tasks/{id} has them)")
public record TaskRow(
        @Schema(required = true) String taskId,
        @Schema(required = true) String modelName,
        @Schema(required = true) TaskStatus status,
        TrainerPhase phase,
        String statusMessage,
        @Schema(required = true) double progress,
        @Schema(required = true) int currentEpoch,
        @Schema(required = true) double epoch,
        @Schema(required = true) int totalEpochs,
        @Schema(required = true) long step,
        @Schema(required = true) long totalSteps,
        @Schema(required = true) double loss,
        Double latestLoss,
        Double learningRate,
        Long etaSeconds,
        Integer queuePosition,
        Instant createdAt,
        Instant startedAt,
        Instant completedAt,
        String errorCode,
        String errorMessage,
        TrainingMethod method,
        @Schema(required = true) boolean merge,
        MergeRun.View mergeRun,
        String clonedFrom,
        @Schema(required = true) int attempt,
        @Schema(required = true) int priority,
        String suffix,
        String owner,
        Map<String, String> artifacts,
        @Schema(required = true) List<String> warnings,
        String executor,
        @Schema(required = true) boolean cancelRequested,
        @Schema(required = true) boolean pauseRequested,
        Instant resumeAt,
        @Schema(required = true) long revision,
        Double evalLoss,
        Double bestEvalLoss,
        Long bestStep,
        EvaluationSummary evaluation,
        String traceId) {

    /** The row of {@code t}. */
    public static TaskRow of(Task t) {
        return new TaskRow(
                t.taskId(),
                t.modelName(),
                t.status(),
                t.phase(),
                t.statusMessage(),
                t.progress(),
                t.currentEpoch(),
                t.epoch(),
                t.totalEpochs(),
                t.step(),
                t.totalSteps(),
                t.loss(),
                t.latestLoss(),
                t.learningRate(),
                t.etaSeconds(),
                t.queuePosition(),
                t.createdAt(),
                t.startedAt(),
                t.completedAt(),
                t.errorCode(),
                t.errorMessage(),
                t.method(),
                t.merge(),
                t.mergeRun(),
                t.clonedFrom(),
                t.attempt(),
                t.priority(),
                t.suffix(),
                t.owner(),
                t.artifacts(),
                t.warnings(),
                t.executor(),
                t.cancelRequested(),
                t.pauseRequested(),
                t.resumeAt(),
                t.revision(),
                t.evalLoss(),
                t.bestEvalLoss(),
                t.bestStep(),
                t.evaluation(),
                t.traceId());
    }
}
