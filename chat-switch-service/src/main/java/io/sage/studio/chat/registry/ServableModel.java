package io.sage.studio.chat.registry;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * A model the chat backend can serve, resolved from a request: what the engine is started with, the name
 * clients send, and how users see it.
 *
 * @param id           identity for "is this already serving": a base model id or the artifact's real path
 * @param displayName  what users see
 * @param kind         {@code base}, {@code finetuned} or {@code cloud}
 * @param artifact     what {@code id} names
 * @param enginePath   what the engine loads: a model directory or a base model id (for a LoRA: its base)
 * @param adapterPath  the LoRA adapter directory, or {@code null}
 * @param baseModel    the base model id or path
 * @param loraRank     the adapter's rank {@code r}, or {@code null}
 * @param taskId       the fine-tuning task it came from, or {@code null}
 * @param servedName   the model name clients send (the adapter's name for a LoRA)
 */
public record ServableModel(
        String id,
        String displayName,
        String kind,
        Artifact artifact,
        String enginePath,
        String adapterPath,
        String baseModel,
        Integer loraRank,
        String taskId,
        String servedName) {

    public static final String KIND_BASE = "base";
    public static final String KIND_FINETUNED = "finetuned";
    public static final String KIND_CLOUD = "cloud";

    public enum Artifact {
        /** A base model (catalogue id or a model directory that is not a fine-tuning result). */
        BASE,
        /** A merged (or fully fine-tuned) model directory. */
        MERGED,
        /** A LoRA adapter served on top of its base model. */
        LORA,
        /** A model behind the cloud API. */
        CLOUD
    }

    @JsonIgnore
    public boolean isLora() {
        return artifact == Artifact.LORA;
    }

    /** The path or id the route reports as {@code model_path}. */
    public String modelPath() {
        return adapterPath != null ? adapterPath : enginePath;
    }

    /** The served name of the engine that hosts this model (the base's name for a LoRA adapter). */
    public String engineServedName() {
        return isLora() ? ModelNames.servedNameOfEngine(enginePath) : servedName;
    }
}
