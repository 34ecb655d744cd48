package io.sage.studio.common.error;

/** A {@code details} entry naming an invalid request field: {@code {"field": "batch_size", "message": "…"}}. */
public record FieldError(String field, String message) {}
