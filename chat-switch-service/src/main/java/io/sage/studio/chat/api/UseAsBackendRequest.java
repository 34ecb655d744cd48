package io.sage.studio.chat.api;

/**
 * Body of {@code POST /api/finetune/use-as-backend}; {@code require_evaluation} and {@code force} as for
 * {@code POST /api/chat/switch}.
 */
public record UseAsBackendRequest(String taskId, String strategy, Boolean requireEvaluation, Boolean force) {}
