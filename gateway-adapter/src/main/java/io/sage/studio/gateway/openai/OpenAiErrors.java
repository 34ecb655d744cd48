package io.sage.studio.gateway.openai;

import io.sage.studio.common.error.ErrorCode;
import io.sage.studio.common.error.ErrorKind;
import io.sage.studio.common.error.HttpStatuses;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;

/** Errors of the {@code /v1} edge in OpenAI's shape, so that SDKs raise their usual exceptions. */
final class OpenAiErrors {

    private static final String INVALID_REQUEST = "invalid_request_error";
    private static final String SERVER_ERROR = "server_error";
    private static final String RATE_LIMIT = "rate_limit_error";

    private OpenAiErrors() {}

    /** {@code {"error": {"message", "type", "param", "code"}}}. */
    record Body(Error error) {}

    record Error(String message, String type, String param, String code) {}

    /** {@link #send(HttpServerResponse, int, String, String, String)} with the status of the code's own kind. */
    static Future<Void> send(HttpServerResponse response, ErrorCode code, String param, String message) {
        return send(response, code, code.kind(), param, message);
    }

    /** The error with the status of {@code kind}, for a code whose kind depends on the failure. */
    static Future<Void> send(
            HttpServerResponse response, ErrorCode code, ErrorKind kind, String param, String message) {
        return send(response, HttpStatuses.of(kind), code.code(), param, message);
    }

    /**
     * Answers with the error, its OpenAI {@code type} following the status as OpenAI's API does (429 a rate limit,
     * 5xx a server error, the rest an invalid request); completes once it is written (at once when the head was out
     * and it was reset).
     */
    static Future<Void> send(HttpServerResponse response, int status, String code, String param, String message) {
        String type = status == 429 ? RATE_LIMIT : status >= 500 ? SERVER_ERROR : INVALID_REQUEST;
        if (response.headWritten()) {
            response.reset();
            return Future.succeededFuture();
        }
        return response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(Json.buffer(new Body(new Error(message, type, param, code))));
    }
}
