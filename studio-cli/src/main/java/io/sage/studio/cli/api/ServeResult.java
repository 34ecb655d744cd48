package io.sage.studio.cli.api;

/**
 * {@code POST /api/chat/serving}: the model made addressable (200, {@code ready}) or being loaded (202,
 * {@code loading} with the operation that loads it).
 */
public record ServeResult(String model, String displayName, String engine, String state, String operationId) {}
