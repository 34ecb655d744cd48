package io.sage.studio.common.error;

import java.util.List;

/**
 * An error the caller can act on: an HTTP status, a stable machine-readable code and a sentence for humans.
 * Thrown anywhere; {@link ApiExceptionMappers} turns it into the one JSON error shape.
 */
public class ApiException extends RuntimeException {

    private final int status;
    private final String code;
    private final List<?> details;

    public ApiException(int status, String code, String message, List<?> details) {
        super(message);
        this.status = status;
        this.code = code;
        this.details = details == null ? List.of() : List.copyOf(details);
    }

    public ApiException(int status, String code, String message) {
        this(status, code, message, List.of());
    }

    public static ApiException badRequest(String code, String message) {
        return new ApiException(400, code, message);
    }

    /** A request field out of range or malformed: 400 {@code invalid_field}, the field named in details. */
    public static ApiException invalidField(String field, String message) {
        return new ApiException(400, "invalid_field", message, List.of(new FieldError(field, message)));
    }

    public static ApiException notFound(String code, String message) {
        return new ApiException(404, code, message);
    }

    public static ApiException conflict(String code, String message) {
        return new ApiException(409, code, message);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public List<?> details() {
        return details;
    }

    /** Detail entry naming an invalid request field. */
    public record FieldError(String field, String message) {
    }
}
