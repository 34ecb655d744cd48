package io.sage.studio.gateway;

import io.sage.studio.common.error.ErrorCode;
import io.sage.studio.common.error.ErrorKind;

/**
 * Every error code the gateway answers itself (a service's own errors pass through unchanged), besides the shared
 * ones of {@link io.sage.studio.common.error.CommonError} ({@code host_not_allowed}, {@code cross_origin_request},
 * authentication). The gateway is an edge: it writes these with the status of their kind
 * ({@link io.sage.studio.common.error.HttpStatuses}), in the studio shape on {@code /api} and in OpenAI's shape on
 * {@code /v1}.
 */
public enum GatewayError implements ErrorCode {
    // /api: the services behind the gateway.
    /** An upload larger than {@code studio.gateway.max-upload-size}. */
    PAYLOAD_TOO_LARGE("payload_too_large", ErrorKind.TOO_LARGE),
    /** The service already has {@code max-service-streams} streams open through the gateway. */
    TOO_MANY_STREAMS("too_many_streams", ErrorKind.UNAVAILABLE),
    /** The service's connections and wait queue are all taken. */
    SERVICE_BUSY("service_busy", ErrorKind.UNAVAILABLE),
    /** The service failed before answering (connection reset, malformed answer). */
    SERVICE_FAILED("service_failed", ErrorKind.UPSTREAM_FAILED),
    /** The service cannot be reached; {@link ErrorKind#TIMEOUT} (504) when connecting timed out. */
    SERVICE_UNREACHABLE("service_unreachable", ErrorKind.UPSTREAM_FAILED),
    /** The client's body stalled for {@code studio.gateway.body-read-timeout} ({@code /api} and {@code /v1}). */
    REQUEST_TIMEOUT("request_timeout", ErrorKind.REQUEST_TIMEOUT),

    // /v1: the OpenAI-compatible chat route.
    /** A path the gateway does not serve under {@code /v1}. */
    NOT_FOUND("not_found", ErrorKind.NOT_FOUND),
    /** The body is not one JSON object in UTF-8. */
    INVALID_JSON("invalid_json", ErrorKind.INVALID),
    /** {@code model} given more than once. */
    INVALID_REQUEST("invalid_request", ErrorKind.INVALID),
    /** {@code model} is not a string. */
    INVALID_TYPE("invalid_type", ErrorKind.INVALID),
    /** The requested model is not the one the active backend serves. */
    MODEL_NOT_FOUND("model_not_found", ErrorKind.NOT_FOUND),
    /** A {@code /v1} body larger than {@code studio.gateway.max-request-size}. */
    REQUEST_TOO_LARGE("request_too_large", ErrorKind.TOO_LARGE),
    /** All request buffers are taken ({@code studio.gateway.max-buffered-request-bytes}). */
    REQUEST_BUFFER_FULL("request_buffer_full", ErrorKind.UNAVAILABLE),
    /** More than {@code studio.gateway.max-concurrent-requests} in progress. */
    TOO_MANY_CONCURRENT_REQUESTS("too_many_concurrent_requests", ErrorKind.QUOTA),
    /** A switch is under way and nothing serves. */
    BACKEND_SWITCHING("backend_switching", ErrorKind.UNAVAILABLE),
    /** No backend is configured. */
    NO_BACKEND("no_backend", ErrorKind.UNAVAILABLE),
    /** The route topic has not been read to its end yet. */
    ROUTE_UNKNOWN("route_unknown", ErrorKind.UNAVAILABLE),
    /** The route names a backend the gateway cannot use. */
    BACKEND_MISCONFIGURED("backend_misconfigured", ErrorKind.UNAVAILABLE),
    /** The engine cannot be reached; {@link ErrorKind#TIMEOUT} (504) when connecting timed out. */
    BACKEND_UNREACHABLE("backend_unreachable", ErrorKind.UPSTREAM_FAILED),
    /** The engine did not answer in time. */
    BACKEND_TIMEOUT("backend_timeout", ErrorKind.TIMEOUT),
    /** The engine failed while answering. */
    BACKEND_FAILED("backend_failed", ErrorKind.UPSTREAM_FAILED),
    /** A model loaded on demand did not appear in the route within {@code studio.gateway.load-on-demand-timeout}. */
    MODEL_LOAD_TIMEOUT("model_load_timeout", ErrorKind.TIMEOUT),
    /** The chat-switch service could not be asked to load a model on demand (unreachable, or it failed). */
    MODEL_LOAD_FAILED("model_load_failed", ErrorKind.UPSTREAM_FAILED),
    /** {@code studio.gateway.max-on-demand-waits} requests wait for models loaded on demand already. */
    TOO_MANY_MODEL_LOADS("too_many_model_loads", ErrorKind.UNAVAILABLE);

    private final String code;
    private final ErrorKind kind;

    GatewayError(String code, ErrorKind kind) {
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
