package io.sage.studio.chat.api;

/** Body of {@code POST /api/finetune/use-as-backend}. */
public record UseAsBackendRequest(String taskId, String strategy) {}
