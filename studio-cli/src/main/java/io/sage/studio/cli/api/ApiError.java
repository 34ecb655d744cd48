package io.sage.studio.cli.api;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The studio's error shape {@code {"error": {code, message, details}}}. A detail is a record error
 * ({@code line, code, message}), a field error ({@code field, message}) or anything else, printed as it came.
 */
public record ApiError(String code, String message, List<JsonNode> details) {

    public ApiError {
        details = details == null ? List.of() : details;
    }

    /** A detail of a known shape. */
    public record Detail(Long line, String field, String code, String message) {}
}
