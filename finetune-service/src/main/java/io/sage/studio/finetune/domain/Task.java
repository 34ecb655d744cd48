package io.sage.studio.finetune.domain;

import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.sage.studio.events.TaskSnapshot;

/**
 * A task as the API and the SSE stream show it (seed field names, snake_case on the wire): the stored
 * {@link TaskRecord} plus what is derived when it is shown — queue position, absolute artifact paths, the log tail.
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
        @Schema(required = true) double currentEpoch,
        @Schema(required = true) int totalEpochs,
        @Schema(required = true) long step,
        @Schema(required = true) long totalSteps,
        Double loss,
        Double learningRate,
        Long etaSeconds,
        Integer queuePosition,
        Instant createdAt,
        Instant startedAt,
        Instant completedAt,
        String errorCode,
        String errorMessage,
        String logs,
        TrainingConfig config,
        TrainingMethod method,
        @Schema(required = true) boolean merge,
        @Schema(required = true) int priority,
        String suffix,
        String owner,
        Map<String, String> artifacts,
        List<TaskWarning> warnings,
        String executor,
        @Schema(required = true) boolean cancelRequested,
        @Schema(required = true) long revision) {

    /** The view of {@code r}, whose directory is {@code taskDir}. */
    public static Task of(TaskRecord r, Path taskDir, Integer queuePosition, String logs) {
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
                r.currentEpoch(),
                r.totalEpochs(),
                r.step(),
                r.totalSteps(),
                r.loss(),
                r.learningRate(),
                r.etaSeconds(),
                queuePosition,
                r.createdAt(),
                r.startedAt(),
                r.completedAt(),
                r.errorCode(),
                r.errorMessage(),
                logs,
                r.config(),
                r.method(),
                r.merge(),
                r.priority(),
                r.suffix(),
                r.owner(),
                absolute(r.artifacts(), taskDir),
                r.warnings(),
                r.executor(),
                r.cancelRequested(),
                r.revision());
    }

    /** The event view (Kafka). */
    public TaskSnapshot snapshot() {
        return new TaskSnapshot(
                taskId,
                modelName,
                status.wire(),
                phase == null ? null : phase.wire(),
                progress,
                currentEpoch,
                totalEpochs,
                step,
                totalSteps,
                loss,
                learningRate,
                etaSeconds,
                queuePosition,
                errorMessage,
                artifacts,
                createdAt,
                startedAt,
                completedAt);
    }

    private static Map<String, String> absolute(Map<String, String> artifacts, Path taskDir) {
        Map<String, String> out = new LinkedHashMap<>();
        artifacts.forEach(
                (kind, path) -> out.put(kind, taskDir.resolve(path).normalize().toString()));
        return out;
    }
}
