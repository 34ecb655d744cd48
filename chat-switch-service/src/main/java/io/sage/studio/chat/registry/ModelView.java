package io.sage.studio.chat.registry;

/** The fields of a finetune-service {@code Model} (registry entry) that a switch needs. */
public record ModelView(
        String id, String name, String type, String baseModel, String path, String artifact, String taskId) {

    public static final String TYPE_BASE = "base";
    public static final String TYPE_FINETUNED = "finetuned";
}
