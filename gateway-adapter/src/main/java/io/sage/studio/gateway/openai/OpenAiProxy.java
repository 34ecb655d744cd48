package io.sage.studio.gateway.openai;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeoutException;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import io.quarkus.vertx.http.runtime.RouteConstants;
import io.quarkus.vertx.http.runtime.security.SecurityHandlerPriorities;
import io.sage.studio.common.auth.Authenticator;
import io.sage.studio.gateway.config.GatewayConfig;
import io.sage.studio.gateway.proxy.IdleWatch;
import io.sage.studio.gateway.proxy.Relay;
import io.sage.studio.gateway.proxy.UpstreamClients;
import io.sage.studio.gateway.routing.ActiveRoute;
import io.sage.studio.gateway.routing.RouteTable;
import io.sage.studio.gateway.status.GatewayMetrics;
import io.sage.studio.gateway.status.Outcome;
import io.vertx.core.AsyncResult;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The OpenAI-compatible edge: {@code /v1/*} proxied to the active backend on the event loop, answers streamed
 * chunk by chunk. {@code /v1/models} is answered from the route; the backend's adapter admin endpoints are not
 * exposed. See {@code DESIGN.md} for the request life cycle.
 */
@Singleton
public class OpenAiProxy {

    /** Response header naming the model that answered (the served model name). */
    public static final String MODEL_HEADER = "X-Studio-Model";
    /** Response header naming the backend that answered. */
    public static final String BACKEND_HEADER = "X-Studio-Backend";

    /** Paths that add the model field when a request has none. */
    private static final Set<String> GENERATION_PATHS = Set.of("/v1/chat/completions", "/v1/completions");
    /** vLLM's runtime adapter management belongs to the chat-switch-service, never to chat clients. */
    private static final Set<String> HIDDEN_PATHS = Set.of("/v1/load_lora_adapter", "/v1/unload_lora_adapter");
    private static final String MODELS = "/v1/models";
    /** Quarkus' filters run at order {@code -priority}: after CORS (300), before authentication (200). */
    private static final int FAST_ROUTE_ORDER = -(SecurityHandlerPriorities.AUTHENTICATION + SecurityHandlerPriorities.CORS) / 2;

    private final RouteTable routes;
    private final UpstreamClients clients;
    private final GatewayMetrics metrics;
    private final GatewayConfig config;
    private final Authenticator authenticator;
    private final long maxRequestBytes;
    private final IdleWatch idleWatch;

    public OpenAiProxy(Vertx vertx, RouteTable routes, UpstreamClients clients, GatewayMetrics metrics,
            GatewayConfig config, Authenticator authenticator) {
        this.authenticator = authenticator;
        this.routes = routes;
        this.clients = clients;
        this.metrics = metrics;
        this.config = config;
        this.maxRequestBytes = this.config.maxRequestSize().asLongValue();
        this.idleWatch = new IdleWatch(vertx, config.upstreamTimeout());
    }

    /**
     * With authentication on, {@code /v1} is a route like any other: behind Quarkus' authentication, the studio's
     * {@code AuthFilter} and the rest of the filter chain. With it off (mode {@code none}, loopback only) nothing in
     * that chain applies to {@code /v1}, so the edge takes the request right after the CORS filter instead, which
     * saves about 5 % of the gateway's CPU per proxied request (bench/gateway/README.md).
     */
    void register(@Observes Router router) {
        int order = authenticator.disabled() ? FAST_ROUTE_ORDER : RouteConstants.ROUTE_ORDER_BEFORE_DEFAULT;
        router.route("/v1/*").order(order).handler(this::handle);
    }

    void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        HttpServerResponse response = ctx.response();
        String path = ctx.normalizedPath();
        if (HIDDEN_PATHS.contains(path)) {
            reject(response, 404, OpenAiErrors.INVALID_REQUEST, "not_found", null,
                    "'" + path + "' is not served by the gateway", "hidden_path");
            return;
        }
        ActiveRoute route = routes.current();
        if (!route.serving()) {
            response.putHeader(HttpHeaders.RETRY_AFTER, Long.toString(route.retryAfterSeconds(config.retryAfter())));
            reject(response, 503, OpenAiErrors.SERVER_ERROR, route.condition().errorCode(), null, route.problem(),
                    route.condition().errorCode());
            return;
        }
        if (request.method() == HttpMethod.GET && (path.equals(MODELS) || path.startsWith(MODELS + "/"))) {
            models(response, route, path);
            return;
        }
        long declared = Relay.declaredLength(request);
        if (declared > maxRequestBytes) {
            response.putHeader(HttpHeaders.CONNECTION, "close");
            reject(response, 413, OpenAiErrors.INVALID_REQUEST, "request_too_large", null, tooLarge(), "too_large");
            return;
        }
        if (!metrics.tryAcquire(config.maxConcurrentRequests())) {
            response.putHeader(HttpHeaders.RETRY_AFTER, "1");
            reject(response, 429, OpenAiErrors.RATE_LIMIT, "too_many_concurrent_requests", null,
                    "the gateway already has " + config.maxConcurrentRequests()
                            + " requests in progress (studio.gateway.max-concurrent-requests); retry shortly",
                    "too_many_requests");
            return;
        }
        Exchange exchange = new Exchange(ctx, route, path, declared);
        if (declared == 0) {
            exchange.send(null);
        } else if (isJson(request.getHeader(HttpHeaders.CONTENT_TYPE))) {
            exchange.readJson();
        } else {
            exchange.stream();
        }
    }

    private void models(HttpServerResponse response, ActiveRoute route, String path) {
        response.putHeader(MODEL_HEADER, route.servedModel());
        Object body;
        if (path.equals(MODELS)) {
            body = ModelList.of(route, config.modelAlias());
        } else {
            String id = path.substring(MODELS.length() + 1);
            body = ModelList.card(route, config.modelAlias(), id);
            if (body == null) {
                reject(response, 404, OpenAiErrors.INVALID_REQUEST, "model_not_found", "model", unknownModel(id, route),
                        "unknown_model");
                return;
            }
        }
        response.putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(Json.buffer(body));
    }

    private void reject(HttpServerResponse response, int status, String type, String code, String param,
            String message, String reason) {
        metrics.rejected(reason);
        OpenAiErrors.send(response, status, type, code, param, message);
    }

    private String tooLarge() {
        return "the request body is larger than " + config.maxRequestSize().asLongValue()
                + " bytes (studio.gateway.max-request-size)";
    }

    private String unknownModel(String requested, ActiveRoute route) {
        return "The model '" + requested + "' does not exist. The active model is '" + route.servedModel()
                + "'; '" + config.modelAlias() + "' always names it.";
    }

    private static boolean isJson(String contentType) {
        return contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("application/json");
    }

    private static boolean isEventStream(String contentType) {
        return contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("text/event-stream");
    }

    /** One proxied request, from the slot it holds to the end of the answer. All on the request's event loop. */
    private final class Exchange extends IdleWatch.Watched {

        private final HttpServerRequest request;
        private final HttpServerResponse response;
        private final ActiveRoute route;
        private final String path;
        private final String pathAndQuery;
        private final long declared;
        private final long start = System.nanoTime();
        private HttpClientRequest upstream;
        private boolean sent;
        private boolean finished;
        private boolean firstChunk = true;
        private boolean answered;

        Exchange(RoutingContext ctx, ActiveRoute route, String path, long declared) {
            this.request = ctx.request();
            this.response = ctx.response();
            this.route = route;
            this.declared = declared;
            this.path = path;
            this.pathAndQuery = request.query() == null ? path : path + "?" + request.query();
            ctx.addEndHandler(ar -> {
                if (ar.failed()) {
                    cancel();
                }
            });
        }

        /** Reads a JSON body (bounded), puts the served model name in it, then sends it. */
        void readJson() {
            Buffer body = Buffer.buffer(declared > 0 ? (int) declared : 1024);
            boolean[] over = {false};
            request.handler(chunk -> {
                if (over[0]) {
                    return;
                }
                if (body.length() + chunk.length() > maxRequestBytes) {
                    over[0] = true;
                    response.putHeader(HttpHeaders.CONNECTION, "close");
                    rejectAfterAcquire(413, OpenAiErrors.INVALID_REQUEST, "request_too_large", null, tooLarge(),
                            "too_large");
                    return;
                }
                body.appendBuffer(chunk);
            });
            request.endHandler(v -> {
                if (!over[0] && !finished) {
                    rewriteAndSend(body);
                }
            });
            Relay.continueIfExpected(request);
        }

        /** Streams a non-JSON body (multipart audio, …) through untouched. */
        void stream() {
            request.pause();
            send(null);
        }

        private void rewriteAndSend(Buffer body) {
            byte[] bytes = body.getBytes();
            ModelField model;
            try {
                model = ModelField.locate(bytes);
            } catch (ModelField.InvalidBody e) {
                rejectAfterAcquire(400, OpenAiErrors.INVALID_REQUEST, e.code(), e.param(), e.getMessage(),
                        "invalid_json");
                return;
            }
            String requested = model.requested();
            if (!route.accepts(requested)) {
                rejectAfterAcquire(404, OpenAiErrors.INVALID_REQUEST, "model_not_found", "model",
                        unknownModel(requested, route), "unknown_model");
                return;
            }
            String served = route.servedModel();
            boolean present = model.valueStart() >= 0;
            if (served.equals(requested) || (!present && !GENERATION_PATHS.contains(path))) {
                send(body);
            } else {
                send(model.withModel(bytes, served));
            }
        }

        /** Sends the request upstream: {@code body} when given, else the client's (paused) body as it streams in. */
        void send(Buffer body) {
            if (finished) {
                return;
            }
            RequestOptions options = route.target().options(request.method(), pathAndQuery);
            sent = true;
            idleWatch.watch(this);
            route.meters().started();
            clients.backends().request(options).onComplete(ar -> {
                if (ar.failed()) {
                    failBeforeAnswer(ar.cause());
                    return;
                }
                HttpClientRequest up = ar.result();
                if (finished) {
                    up.reset();
                    return;
                }
                upstream = up;
                MultiMap headers = up.headers();
                Relay.copyHeaders(request.headers(), headers);
                // The gateway is the credential boundary: the client's key is for the gateway, the backend gets its own.
                headers.remove(HttpHeaders.AUTHORIZATION);
                if (route.target().authorization() != null) {
                    headers.set(HttpHeaders.AUTHORIZATION, route.target().authorization());
                }
                // Failures reach the response future (before the answer) or the response (during it).
                up.exceptionHandler(e -> { });
                up.response().onComplete(this::answer);
                if (body != null) {
                    up.end(body);
                } else if (declared != 0) {
                    // A slow upload is progress too: the backend answers only once it has the whole body.
                    Relay.forwardBody(request, up, declared, maxRequestBytes, this::touch, () -> {
                        finish(Outcome.CANCELLED);
                        metrics.rejected("too_large");
                        response.putHeader(HttpHeaders.CONNECTION, "close");
                        OpenAiErrors.send(response, 413, OpenAiErrors.INVALID_REQUEST, "request_too_large", null,
                                tooLarge());
                        up.reset();
                    });
                } else {
                    up.end();
                }
            });
        }

        private void answer(AsyncResult<HttpClientResponse> ar) {
            if (finished) {
                return;
            }
            if (ar.failed()) {
                failBeforeAnswer(ar.cause());
                return;
            }
            HttpClientResponse up = ar.result();
            Relay.copyHead(up, response, request.method());
            response.putHeader(MODEL_HEADER, route.servedModel());
            response.putHeader(BACKEND_HEADER, route.meters().backendId());
            boolean eventStream = isEventStream(up.getHeader(HttpHeaders.CONTENT_TYPE));
            if (eventStream) {
                Relay.sendEventStreamHead(response);
            }
            Outcome outcome = Outcome.ofStatus(up.statusCode());
            up.exceptionHandler(this::failDuringAnswer);
            answered = true;
            touch();
            Relay.forwardBody(up, response, chunk -> {
                touch();
                if (firstChunk) {
                    firstChunk = false;
                    if (eventStream) {
                        route.meters().firstChunk(System.nanoTime() - start);
                    }
                }
            }, () -> finish(outcome));
        }

        /**
         * Nothing moved for {@code upstream-timeout} (no byte from the backend, no byte of a streamed upload to
         * it): before the backend's answer that is a 504, during a stream the connection is cut (headers are out).
         */
        @Override
        protected void idle() {
            if (finished) {
                return;
            }
            TimeoutException timeout =
                    new TimeoutException("nothing moved for " + config.upstreamTimeout().toMillis() + " ms");
            if (answered) {
                failDuringAnswer(timeout);
            } else {
                failBeforeAnswer(timeout);
            }
            if (upstream != null) {
                upstream.reset();
            }
        }

        private void failBeforeAnswer(Throwable cause) {
            if (finished) {
                return;
            }
            String backend = "the model backend '" + route.meters().backendId() + "' at " + route.target();
            if (!request.isEnded()) {
                response.putHeader(HttpHeaders.CONNECTION, "close");
            }
            boolean timeout = cause instanceof TimeoutException;
            if (upstream == null) {
                finish(timeout ? Outcome.TIMEOUT : Outcome.UNREACHABLE);
                OpenAiErrors.send(response, timeout ? 504 : 502, OpenAiErrors.SERVER_ERROR, "backend_unreachable", null,
                        backend + " is not reachable: " + Relay.describe(cause));
            } else if (timeout) {
                finish(Outcome.TIMEOUT);
                OpenAiErrors.send(response, 504, OpenAiErrors.SERVER_ERROR, "backend_timeout", null,
                        backend + " sent nothing for " + config.upstreamTimeout().toSeconds()
                                + " s (studio.gateway.upstream-timeout)");
            } else {
                finish(Outcome.BROKEN);
                OpenAiErrors.send(response, 502, OpenAiErrors.SERVER_ERROR, "backend_failed", null,
                        backend + " failed before answering: " + Relay.describe(cause));
            }
        }

        private void failDuringAnswer(Throwable cause) {
            if (finished) {
                return;
            }
            finish(cause instanceof TimeoutException ? Outcome.TIMEOUT : Outcome.BROKEN);
            // Headers (and maybe part of a stream) are out: closing the connection is the only honest signal.
            response.reset();
        }

        private void cancel() {
            if (finished) {
                return;
            }
            if (upstream != null) {
                upstream.reset();
            }
            finish(Outcome.CANCELLED);
        }

        private void rejectAfterAcquire(int status, String type, String code, String param, String message,
                String reason) {
            if (finished) {
                return;
            }
            finished = true;
            metrics.release();
            reject(response, status, type, code, param, message, reason);
        }

        private void finish(Outcome outcome) {
            if (finished) {
                return;
            }
            finished = true;
            metrics.release();
            idleWatch.unwatch(this);
            if (sent) {
                route.meters().finished(outcome, System.nanoTime() - start);
            }
        }
    }
}
