package io.sage.studio.common.error;

/** Codes the shared code of every service answers (request checks, authentication, the studio home, the edge). */
public enum CommonError implements ErrorCode {
    /** A request field out of range or malformed; details name the field. */
    INVALID_FIELD("invalid_field", ErrorKind.INVALID),
    /** A body that is not valid JSON, or a value of the wrong JSON type. */
    INVALID_JSON("invalid_json", ErrorKind.INVALID),
    /** A path given by the caller lies (or links) outside the studio home. */
    PATH_OUTSIDE_HOME("path_outside_home", ErrorKind.INVALID),
    /** No bearer token where one is needed. */
    MISSING_TOKEN("missing_token", ErrorKind.UNAUTHENTICATED),
    /** A bearer token that is not valid. */
    INVALID_TOKEN("invalid_token", ErrorKind.UNAUTHENTICATED),
    /** A bearer token past its expiry. */
    TOKEN_EXPIRED("token_expired", ErrorKind.UNAUTHENTICATED),
    /** The caller's role is below what the request needs. */
    FORBIDDEN("forbidden", ErrorKind.FORBIDDEN),
    /** A token that carries no studio role. */
    NO_ROLE("no_role", ErrorKind.FORBIDDEN),
    /** A change to something another user owns. */
    NOT_OWNER("not_owner", ErrorKind.FORBIDDEN),
    /** A state-changing request from another site. */
    CROSS_ORIGIN_REQUEST("cross_origin_request", ErrorKind.FORBIDDEN),
    /** A request to a host name the service does not answer to. */
    HOST_NOT_ALLOWED("host_not_allowed", ErrorKind.MISDIRECTED),
    /**
     * {@code studio.models.offline} is on and the base model is not in the Hugging Face cache; the message says how
     * to fill it.
     */
    MODEL_NOT_CACHED("model_not_cached", ErrorKind.CONFLICT),
    /** An unexpected failure; the message carries a reference to the log entry. */
    INTERNAL("internal", ErrorKind.INTERNAL);

    private final String code;
    private final ErrorKind kind;

    CommonError(String code, ErrorKind kind) {
        this.code = code;
        this.kind = kind;
    }

    @Override
    public String code() {
        return code;
    }

    @Override
    public ErrorKind kind() {
        return kind;
    }
}
