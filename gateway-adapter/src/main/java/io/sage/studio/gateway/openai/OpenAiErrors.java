package io.sage.studio.gateway.openai;

import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;

/** Errors of the {@code /v1} edge in OpenAI's shape, so that SDKs raise their usual exceptions. */
final class OpenAiErrors {

    static final String INVALID_REQUEST = "invalid_request_error";
    static final String SERVER_ERROR = "server_error";
    static final String RATE_LIMIT = "rate_limit_error";

    private OpenAiErrors() {}

    /** {@code {"error": {"message", "type", "param", "code"}}}. */
    record Body(Error error) {}

    record Error(String message, String type, String param, String code) {}

    /** Answers with the error; completes once it is written (at once when the head was out and it was reset). */
    static Future<Void> send(
            HttpServerResponse response, int status, String type, String code, String param, String message) {
        if (response.headWritten()) {
            response.reset();
            return Future.succeededFuture();
        }
        return response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(Json.buffer(new Body(new Error(message, type, param, code))));
    }
}
