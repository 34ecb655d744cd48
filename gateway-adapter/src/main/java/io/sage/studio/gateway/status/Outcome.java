package io.sage.studio.gateway.status;

import java.util.Locale;

/** How a proxied {@code /v1} request ended; the {@code outcome} tag of the request metrics. */
public enum Outcome {
    /** The backend answered 1xx–3xx and the answer reached the client. */
    OK(false),
    /** The backend answered 4xx. */
    CLIENT_ERROR(false),
    /** The backend answered 5xx. */
    BACKEND_ERROR(true),
    /** No connection to the backend. */
    UNREACHABLE(true),
    /** The backend sent nothing for {@code studio.gateway.upstream-timeout}. */
    TIMEOUT(true),
    /** The backend's answer broke off midway. */
    BROKEN(true),
    /** The client went away first; the upstream request was cancelled. */
    CANCELLED(false);

    private final boolean error;
    private final String tag;

    Outcome(boolean error) {
        this.error = error;
        this.tag = name().toLowerCase(Locale.ROOT);
    }

    /** Whether this counts as a gateway or backend error. */
    public boolean error() {
        return error;
    }

    /** The metric tag value. */
    public String tag() {
        return tag;
    }

    /** The outcome of a complete answer with this status. */
    public static Outcome ofStatus(int status) {
        if (status >= 500) {
            return BACKEND_ERROR;
        }
        return status >= 400 ? CLIENT_ERROR : OK;
    }
}
