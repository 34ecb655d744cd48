package io.sage.studio.cli.api;

/** {@code GET /api/finetune/current-model}: what serves the chat now. */
public record CurrentModel(String currentModel, String kind) {}
