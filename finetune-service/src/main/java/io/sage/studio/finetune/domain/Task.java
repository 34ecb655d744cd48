package io.sage.studio.finetune.domain;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonIgnore;

import io.sage.studio.common.tracing.Tracing;
import io.sage.studio.events.TaskSnapshot;

/**
 * A task as the API and the SSE stream show it (seed field names, snake_case on the wire): the stored
 * {@link TaskRecord} plus what is derived when it is shown — queue position, absolute artifact paths, the log tail.
 *
 * <p>The seed's client reads some fields in its own types (docs/seed-compatibility.md): {@code current_epoch} is a
 * whole number (the epoch in progress, 1-based; {@code total_epochs} once completed), {@code loss} a number ({@code 0}
 * until the trainer reports one), {@code logs} a list of lines and {@code warnings} a list of messages. The precise
 * values are beside them: {@code epoch} (fractional epochs done), {@code latest_loss} ({@code null} until reported)
 * and {@code warning_details} (codes and messages).
 *
 * <p>{@code merge_run} is the merge of the adapter after training ({@code POST …/merge}; {@code null} when none): the
 * task's {@code status} stays {@code completed} whatever it does.
 *
 * <p>{@code cloned_from} names the task this one was cloned from ({@code POST …/clone}). {@code attempt} is the current
 * run (1-based; {@code POST …/retry} starts the next one under the same id) and {@code attempts} lists them all, the
 * current one last ({@code ended_at} and {@code outcome} null while it waits or runs).
 *
 * <p>{@code pause_requested}: a running trainer was asked to checkpoint and stop ({@code POST …/pause}); the status
 * turns {@code paused} when it has. {@code resume_at}: a queued attempt the service started after a trainer died
 * joins the queue then (the automatic resume's backoff; {@code status_message} says why).
 *
 * <p>{@code eval_loss} is the latest validation loss, {@code best_eval_loss}/{@code best_step} the checkpoint the
 * trainer keeps as the artifacts (all {@code null} without a validation set); {@code evaluation} summarises the latest
 * evaluation against a baseline ({@code GET …/evaluations/{id}} has the whole result).
 *
 * <p>{@code trackers} (issue 23): where the trainer's experiment trackers keep the curves, one per tracker
 * ({@code name}, {@code state}, {@code run_id}, {@code url}, {@code log_dir}, {@code message}): TensorBoard's event
 * files always, MLflow and W&amp;B runs when {@code config.report_to} names them; empty until the trainer starts.
 *
 * <p>{@code trace_id} is the OpenTelemetry trace of the create call, which the task's Kafka events and its trainer
 * join ({@code null} when tracing was off). The whole W3C context ({@code traceparent}, {@code tracestate}) stays out of
 * the JSON: the service's event publisher needs it, clients need only the id to find the trace.
 */
public record Task(
        @Schema(required = true) String taskId,
        @Schema(required = true) String modelName,
        String datasetPath,
        String datasetSource,
        String outputDir,
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
        @Schema(required = true) List<String> logs,
        TrainingConfig config,
        TrainingMethod method,
        @Schema(required = true) boolean merge,
        MergeRun.View mergeRun,
        String clonedFrom,
        @Schema(required = true) int attempt,
        @Schema(required = true) List<Attempt> attempts,
        @Schema(required = true) int priority,
        String suffix,
        String owner,
        Map<String, String> artifacts,
        @Schema(required = true) List<String> warnings,
        @Schema(required = true) List<TaskWarning> warningDetails,
        String executor,
        @Schema(required = true) boolean cancelRequested,
        @Schema(required = true) boolean pauseRequested,
        Instant resumeAt,
        @Schema(required = true) long revision,
        Double evalLoss,
        Double bestEvalLoss,
        Long bestStep,
        EvaluationSummary evaluation,
        @Schema(required = true) List<TrackerLink> trackers,
        String traceId,
        @JsonIgnore @Schema(hidden = true) String traceparent,
        @JsonIgnore @Schema(hidden = true) String tracestate) {

    /** The view of {@code r}, whose directory is {@code taskDir}; {@code logs} is the log tail, lines joined by LF. */
    public static Task of(TaskRecord r, Path taskDir, Integer queuePosition, String logs) {
        List<TaskWarning> warnings = r.warnings() == null ? List.of() : r.warnings();
        return new Task(
                r.taskId(),
                r.modelName(),
                r.datasetPath(),
                r.datasetSource(),
                r.outputDir(),
                r.status(),
                r.phase(),
                r.statusMessage(),
                r.progress(),
                wholeEpoch(r.status(), r.currentEpoch(), r.totalEpochs()),
                r.currentEpoch(),
                r.totalEpochs(),
                r.step(),
                r.totalSteps(),
                r.loss() == null ? 0.0 : r.loss(),
                r.loss(),
                r.learningRate(),
                r.etaSeconds(),
                queuePosition,
                r.createdAt(),
                r.startedAt(),
                r.completedAt(),
                r.errorCode(),
                r.errorMessage(),
                lines(logs),
                r.config(),
                r.method(),
                r.merge(),
                r.mergeRun() == null ? null : r.mergeRun().view(),
                r.clonedFrom(),
                r.attempt(),
                attempts(r),
                r.priority(),
                r.suffix(),
                r.owner(),
                absolute(r.artifacts(), taskDir),
                warnings.stream().map(TaskWarning::message).toList(),
                warnings,
                r.executor(),
                r.cancelRequested(),
                r.pauseRequested(),
                r.resumeAt(),
                r.revision(),
                r.evalLoss(),
                r.bestEvalLoss(),
                r.bestStep(),
                r.evaluation(),
                r.trackers(),
                Tracing.traceIdOf(r.traceparent()),
                r.traceparent(),
                r.tracestate());
    }

    /** The event view (Kafka). */
    public TaskSnapshot snapshot() {
        return new TaskSnapshot(
                taskId,
                modelName,
                status.wire(),
                phase == null ? null : phase.wire(),
                progress,
                epoch,
                totalEpochs,
                step,
                totalSteps,
                latestLoss,
                learningRate,
                etaSeconds,
                queuePosition,
                errorMessage,
                artifacts,
                createdAt,
                startedAt,
                completedAt,
                mergeRun == null || mergeRun.state() == null
                        ? null
                        : mergeRun.state().wire(),
                attempt,
                clonedFrom,
                evalLoss,
                bestEvalLoss,
                bestStep,
                evaluation == null ? null : evaluation.snapshot());
    }

    /**
     * The seed's whole {@code current_epoch}: the epoch in progress counted from 1 ({@code 0} before the first
     * step), {@code total} once completed; never above {@code total}.
     */
    static int wholeEpoch(TaskStatus status, double epochs, int total) {
        if (status == TaskStatus.COMPLETED) {
            return total;
        }
        int whole = (int) Math.ceil(Math.max(0, epochs) - 1e-9);
        return total > 0 ? Math.min(whole, total) : whole;
    }

    /** Every attempt, the current one last. */
    private static List<Attempt> attempts(TaskRecord r) {
        List<Attempt> all = new ArrayList<>(r.attempts());
        all.add(Attempt.current(r));
        return all;
    }

    private static List<String> lines(String text) {
        if (text == null || text.isEmpty()) {
            return List.of();
        }
        String body = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        return List.of(body.split("\n", -1));
    }

    private static Map<String, String> absolute(Map<String, String> artifacts, Path taskDir) {
        Map<String, String> out = new LinkedHashMap<>();
        artifacts.forEach(
                (kind, path) -> out.put(kind, taskDir.resolve(path).normalize().toString()));
        return out;
    }
}
