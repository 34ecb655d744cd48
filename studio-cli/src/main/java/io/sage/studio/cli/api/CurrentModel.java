package io.sage.studio.cli.api;

/**
 * {@code GET /api/finetune/current-model}: what serves the chat now.
 *
 * @param currentModel the model's path or id (the seed's meaning: what {@code switch-model?model_path=} takes back)
 * @param displayName how users see the model; absent from older services, whose {@code current_model} held it
 * @param kind {@code base}, {@code finetuned}, {@code cloud} or {@code none}
 */
public record CurrentModel(String currentModel, String displayName, String kind) {

    /** The name to show: {@code display_name}, else {@code current_model}. */
    public String shownName() {
        return displayName != null && !displayName.isBlank() ? displayName : currentModel;
    }
}
