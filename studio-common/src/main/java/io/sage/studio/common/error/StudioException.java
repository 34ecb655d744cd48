package io.sage.studio.common.error;

import java.util.List;

/**
 * A failure the caller can act on, as domain and service code throw it: an {@link ErrorCode} (the code on the wire
 * and its {@link ErrorKind}), a sentence for humans and optional structured details. It knows nothing of HTTP; the
 * REST edge ({@link ApiExceptionMappers}) chooses the status from the kind and writes {@link ErrorBody}.
 */
public class StudioException extends RuntimeException {

    private final ErrorCode error;
    private final ErrorKind kind;
    private final List<?> details;

    /**
     * @param kind overrides {@code error.kind()} for this one failure, for the few codes whose kind depends on the
     *        cause (finetune's {@code storage_error} is {@link ErrorKind#INSUFFICIENT_STORAGE} when the disk is full,
     *        {@link ErrorKind#INTERNAL} otherwise); {@code null} keeps the code's own kind
     * @param cause kept for the log, never shown to the caller; {@code null} for none
     */
    public StudioException(ErrorCode error, ErrorKind kind, String message, List<?> details, Throwable cause) {
        super(message, cause);
        this.error = error;
        this.kind = kind != null ? kind : error.kind();
        this.details = details == null ? List.of() : List.copyOf(details);
    }

    public StudioException(ErrorCode error, String message, List<?> details) {
        this(error, null, message, details, null);
    }

    public StudioException(ErrorCode error, String message) {
        this(error, null, message, List.of(), null);
    }

    /** A request field out of range or malformed: {@code invalid_field}, the field named in details. */
    public static StudioException invalidField(String field, String message) {
        return new StudioException(CommonError.INVALID_FIELD, message, List.of(new FieldError(field, message)));
    }

    /** The error as listed in the service's enum. */
    public ErrorCode error() {
        return error;
    }

    /** The code on the wire. */
    public String code() {
        return error.code();
    }

    /** The kind of this failure: the code's own unless overridden at construction. */
    public ErrorKind kind() {
        return kind;
    }

    public List<?> details() {
        return details;
    }
}
