package io.sage.studio.common.error;

import java.util.List;

/**
 * A {@link StudioException} with an explicit HTTP status, for the REST edge only (resources and exception mappers
 * that must answer a status no {@link ErrorKind} stands for). Domain and service code throw {@link StudioException}
 * with a code from their service's error enum instead; this type is kept while the last callers move over.
 */
public class ApiException extends StudioException {

    private final int status;

    public ApiException(int status, String code, String message, List<?> details) {
        super(ErrorCode.of(code, HttpStatuses.kindOf(status)), null, message, details, null);
        this.status = status;
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

    /**
     * Detail entry naming an invalid request field; serialised exactly like {@link io.sage.studio.common.error.FieldError},
     * which new code uses.
     */
    public record FieldError(String field, String message) {}
}
