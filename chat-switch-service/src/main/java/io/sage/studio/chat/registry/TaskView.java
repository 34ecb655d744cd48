package io.sage.studio.chat.registry;

import java.util.Map;

/** The fields of a finetune-service {@code Task} that a switch needs. */
public record TaskView(
        String taskId, String modelName, String status, String outputDir, Map<String, String> artifacts) {

    public static final String COMPLETED = "completed";

    public String artifact(String kind) {
        return artifacts == null ? null : artifacts.get(kind);
    }
}
