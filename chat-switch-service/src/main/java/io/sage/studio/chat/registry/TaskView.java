package io.sage.studio.chat.registry;

import java.util.Map;

/**
 * The fields of a finetune-service {@code Task} that a switch needs; {@code evaluation} summarises the task's latest
 * evaluation against a baseline ({@code null} when it has none), read by the evaluation gate.
 */
public record TaskView(
        String taskId,
        String modelName,
        String status,
        String outputDir,
        Map<String, String> artifacts,
        Evaluation evaluation) {

    /**
     * The task's latest evaluation as the finetune-service summarises it.
     *
     * @param state   {@code queued|running|completed|failed}
     * @param verdict {@code better|worse|inconclusive} once completed
     */
    public record Evaluation(String evaluationId, String state, String verdict, String baseline) {}

    public static final String COMPLETED = "completed";

    public String artifact(String kind) {
        return artifacts == null ? null : artifacts.get(kind);
    }
}
