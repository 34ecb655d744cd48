package io.sage.studio.cli.api;

/** One entry of {@code GET /api/finetune/models}: a base model or a fine-tuned task's artifact. */
public record ModelView(String id, String type, String baseModel, String artifact, String path, String createdAt) {}
