package io.sage.studio.common.models;

/**
 * A base model of the catalogue with the architecture numbers the memory estimator needs.
 * The same numbers appear in the model's Hugging Face {@code config.json}.
 */
public record BaseModel(
        String id,
        String name,
        String family,
        String description,
        long params,
        int contextLength,
        int hiddenSize,
        int numLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int intermediateSize,
        int vocabSize,
        boolean tieWordEmbeddings) {}
