package io.sage.studio.common.error;

/**
 * The REST edge's one translation from {@link ErrorKind} to an HTTP status (and back, for {@link ApiException}'s
 * explicit statuses). Used by {@link ApiExceptionMappers}, the auth filter and the gateway's own answers; domain
 * code never calls it.
 */
public final class HttpStatuses {

    private HttpStatuses() {}

    /** The status a failure of this kind is answered with. */
    public static int of(ErrorKind kind) {
        return switch (kind) {
            case INVALID -> 400;
            case UNAUTHENTICATED -> 401;
            case FORBIDDEN -> 403;
            case NOT_FOUND -> 404;
            case REQUEST_TIMEOUT -> 408;
            case CONFLICT -> 409;
            case TOO_LARGE -> 413;
            case MISDIRECTED -> 421;
            case QUOTA -> 429;
            case INTERNAL -> 500;
            case UPSTREAM_FAILED -> 502;
            case UNAVAILABLE -> 503;
            case TIMEOUT -> 504;
            case INSUFFICIENT_STORAGE -> 507;
        };
    }

    /** The status of this failure. */
    public static int of(StudioException e) {
        return e instanceof ApiException api ? api.status() : of(e.kind());
    }

    /**
     * The kind a status stands for: the inverse of {@link #of(ErrorKind)}, other 4xx statuses {@link ErrorKind#INVALID},
     * everything else {@link ErrorKind#INTERNAL}.
     */
    public static ErrorKind kindOf(int status) {
        for (ErrorKind kind : ErrorKind.values()) {
            if (of(kind) == status) {
                return kind;
            }
        }
        return status >= 400 && status < 500 ? ErrorKind.INVALID : ErrorKind.INTERNAL;
    }
}
