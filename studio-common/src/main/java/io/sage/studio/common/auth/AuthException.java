package io.sage.studio.common.auth;

/** A request that is not let through: 401 (who are you?) or 403 (not allowed), with the studio error code. */
final class AuthException extends RuntimeException {

    private final int status;
    private final String code;

    AuthException(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    static AuthException unauthorized(String code, String message) {
        return new AuthException(401, code, message);
    }

    static AuthException forbidden(String code, String message) {
        return new AuthException(403, code, message);
    }

    int status() {
        return status;
    }

    String code() {
        return code;
    }
}
