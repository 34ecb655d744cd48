package io.sage.studio.common.error;

import java.util.List;

/**
 * The one error shape of every studio endpoint: {@code {"error": {"code", "message", "details"}, "detail": message}}.
 * {@code detail} repeats the message for clients written for the original SAGE Studio (FastAPI's
 * {@code HTTPException} shape, which its UI shows as {@code error.detail}); see docs/seed-compatibility.md.
 */
public record ErrorBody(Error error, String detail) {

    public record Error(String code, String message, List<?> details) {}

    public static ErrorBody of(String code, String message, List<?> details) {
        return new ErrorBody(new Error(code, message, details == null ? List.of() : details), message);
    }

    public static ErrorBody of(String code, String message) {
        return of(code, message, List.of());
    }
}
