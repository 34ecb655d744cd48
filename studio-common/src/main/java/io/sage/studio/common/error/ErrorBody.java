package io.sage.studio.common.error;

import java.util.List;

/** The one error shape of every studio endpoint: {@code {"error": {"code", "message", "details"}}}. */
public record ErrorBody(Error error) {

    public record Error(String code, String message, List<?> details) {}

    public static ErrorBody of(String code, String message, List<?> details) {
        return new ErrorBody(new Error(code, message, details == null ? List.of() : details));
    }

    public static ErrorBody of(String code, String message) {
        return of(code, message, List.of());
    }
}
