package io.sage.studio.cli.api;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A fine-tuning task ({@code GET /api/finetune/tasks[/ID]}, the {@code task} events of {@code /tasks/stream},
 * {@code POST /create}, {@code POST /tasks/ID/cancel}; also {@code finetune_meta.json}). Numbers are boxed: a
 * missing or {@code null} field stays {@code null}. {@code config} is printed as it came, never interpreted.
 */
public record TaskView(
        String taskId,
        String status,
        String phase,
        String modelName,
        String method,
        String datasetPath,
        String outputDir,
        Double progress,
        Double currentEpoch,
        Integer totalEpochs,
        Long step,
        Long totalSteps,
        Double loss,
        Double learningRate,
        Long etaSeconds,
        Integer queuePosition,
        String createdAt,
        String startedAt,
        String completedAt,
        String errorMessage,
        Map<String, String> artifacts,
        JsonNode config,
        List<Warning> warnings) {

    public TaskView {
        artifacts = artifacts == null ? Map.of() : artifacts;
        warnings = warnings == null ? List.of() : warnings;
    }

    /** {@code completed}, {@code failed} or {@code cancelled}. */
    public boolean terminal() {
        return "completed".equals(status) || "failed".equals(status) || "cancelled".equals(status);
    }
}
