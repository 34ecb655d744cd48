package io.sage.studio.common.error;

/**
 * What kind of failure an {@link ErrorCode} is, independent of any transport. The REST edge
 * ({@link HttpStatuses}) turns a kind into an HTTP status; domain and service code never name a status.
 * One kind per status the studio answers today, so that every status a client sees stays what it was.
 */
public enum ErrorKind {
    /** The request is malformed or names something unusable (400). */
    INVALID,
    /** No credentials, or credentials that are not valid (401). */
    UNAUTHENTICATED,
    /** The caller is known but may not do this (403). */
    FORBIDDEN,
    /** What the request names does not exist (404). */
    NOT_FOUND,
    /** The client stalled while sending its request (408). */
    REQUEST_TIMEOUT,
    /** The request contradicts the current state: a task still running, a switch in progress (409). */
    CONFLICT,
    /** The request, an upload or a stored total is larger than allowed (413). */
    TOO_LARGE,
    /** The request was sent to a host name this service does not answer to (421). */
    MISDIRECTED,
    /** The caller's own quota or concurrency limit is used up; others are unaffected (429). */
    QUOTA,
    /** An unexpected failure of this service (500). */
    INTERNAL,
    /** A service or engine this one depends on answered with an error (502). */
    UPSTREAM_FAILED,
    /** This service or one it depends on cannot take the request now; trying again later may work (503). */
    UNAVAILABLE,
    /** A service or engine this one depends on did not answer in time (504). */
    TIMEOUT,
    /** The file system that holds the studio's data is full (507). */
    INSUFFICIENT_STORAGE
}
