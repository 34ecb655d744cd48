package io.sage.studio.gateway.openai;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeoutException;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.quarkus.vertx.http.runtime.security.SecurityHandlerPriorities;
import io.sage.studio.common.auth.Authenticator;
import io.sage.studio.gateway.config.GatewayConfig;
import io.sage.studio.gateway.proxy.BackendConnection;
import io.sage.studio.gateway.proxy.BackendConnections;
import io.sage.studio.gateway.proxy.IdleWatch;
import io.sage.studio.gateway.proxy.Relay;
import io.sage.studio.gateway.proxy.UpstreamTarget;
import io.sage.studio.gateway.routing.ActiveRoute;
import io.sage.studio.gateway.routing.RouteTable;
import io.sage.studio.gateway.status.GatewayMetrics;
import io.sage.studio.gateway.status.Outcome;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.impl.ContextInternal;
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
    /**
     * Headers of requests to backends: copied from a request Vert.x parsed and validated already, so they are not
     * validated twice.
     */
    private static final DefaultHttpHeadersFactory HEADERS =
            DefaultHttpHeadersFactory.headersFactory().withValidation(false);

    private final BackendConnections connections;
    private final GatewayMetrics metrics;
    private final GatewayConfig config;
    private final Authenticator authenticator;
    private final long maxRequestBytes;
    private final IdleWatch idleWatch;

    public OpenAiProxy(Vertx vertx, RouteTable routes, BackendConnections connections, GatewayMetrics metrics,
            GatewayConfig config, Authenticator authenticator) {
        this.authenticator = authenticator;
        this.routes = routes;
        this.connections = connections;
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
            response.putHeader(HttpHeaderNames.RETRY_AFTER, Long.toString(route.retryAfterSeconds(config.retryAfter())));
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
            response.putHeader(HttpHeaderNames.CONNECTION, "close");
            reject(response, 413, OpenAiErrors.INVALID_REQUEST, "request_too_large", null, tooLarge(), "too_large");
            return;
        }
        if (!metrics.tryAcquire(config.maxConcurrentRequests())) {
            response.putHeader(HttpHeaderNames.RETRY_AFTER, "1");
            reject(response, 429, OpenAiErrors.RATE_LIMIT, "too_many_concurrent_requests", null,
                    "the gateway already has " + config.maxConcurrentRequests()
                            + " requests in progress (studio.gateway.max-concurrent-requests); retry shortly",
                    "too_many_requests");
            return;
        }
        Exchange exchange = new Exchange(ctx, route, path, declared);
        if (declared == 0) {
            exchange.send(null);
        } else if (isJson(request.getHeader(HttpHeaderNames.CONTENT_TYPE))) {
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
        response.putHeader(HttpHeaderNames.CONTENT_TYPE, "application/json").end(Json.buffer(body));
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
    private final class Exchange extends IdleWatch.Watched implements BackendConnection.Listener {

        private final HttpServerRequest request;
        private final HttpMethod method;
        private final HttpServerResponse response;
        private final ActiveRoute route;
        private final String path;
        private final String pathAndQuery;
        private final long declared;
        private final long start = System.nanoTime();
        /** The request's context, whose event loop runs the whole exchange. */
        private final ContextInternal context = (ContextInternal) Vertx.currentContext();
        /** The backend connection while the exchange holds it. */
        private BackendConnection upstream;
        /** The body as sent, when it was read whole: it can go again on a new connection. */
        private Buffer replay;
        private boolean retried;
        private boolean eventStream;
        private Outcome outcome;
        private boolean sent;
        private boolean finished;
        private boolean firstChunk = true;
        private boolean answered;

        Exchange(RoutingContext ctx, ActiveRoute route, String path, long declared) {
            this.request = ctx.request();
            this.method = request.method();
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
                    response.putHeader(HttpHeaderNames.CONNECTION, "close");
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
            sent = true;
            replay = body;
            idleWatch.watch(this);
            route.meters().started();
            lease(false);
        }

        private void lease(boolean fresh) {
            connections.lease(context.nettyEventLoop(), route.target(), fresh, lastActivity(), ar -> {
                if (ar.failed()) {
                    failBeforeAnswer(ar.cause());
                } else if (finished) {
                    ar.result().release();
                } else {
                    upstream = ar.result();
                    upstream.send(head(), this);
                    if (replay == null && declared != 0) {
                        forwardUpload();
                    }
                }
            });
        }

        /** The request for the backend: the client's end-to-end headers, the backend's credentials, the body. */
        private HttpRequest head() {
            UpstreamTarget target = route.target();
            HttpHeaders headers = HEADERS.newHeaders();
            Relay.copyHeaders(request.headers(), headers);
            headers.set(HttpHeaderNames.HOST, target.hostHeader());
            // The gateway is the credential boundary: the client's key is for the gateway, the backend gets its own.
            headers.remove(HttpHeaderNames.AUTHORIZATION);
            if (target.authorization() != null) {
                headers.set(HttpHeaderNames.AUTHORIZATION, target.authorization());
            }
            io.netty.handler.codec.http.HttpMethod verb = method.toNetty();
            String uri = target.uri(pathAndQuery);
            if (replay != null) {
                headers.set(HttpHeaderNames.CONTENT_LENGTH, replay.length());
                return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, verb, uri, replay.getByteBuf(), headers,
                        EmptyHttpHeaders.INSTANCE);
            }
            if (declared == 0) {
                if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
                    headers.set(HttpHeaderNames.CONTENT_LENGTH, 0);
                }
                return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, verb, uri, Unpooled.EMPTY_BUFFER, headers,
                        EmptyHttpHeaders.INSTANCE);
            }
            if (declared > 0) {
                headers.set(HttpHeaderNames.CONTENT_LENGTH, declared);
            } else {
                headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
            return new DefaultHttpRequest(HttpVersion.HTTP_1_1, verb, uri, headers);
        }

        /**
         * Streams the client's body to the backend as it arrives, pausing the client while the connection's write
         * buffer is full; a slow upload is progress too (the backend answers only once it has the whole body).
         */
        private void forwardUpload() {
            long[] received = {0};
            request.handler(chunk -> {
                BackendConnection to = upstream;
                if (to == null || finished) {
                    return;
                }
                received[0] += chunk.length();
                if (received[0] > maxRequestBytes) {
                    finish(Outcome.CANCELLED);
                    metrics.rejected("too_large");
                    response.putHeader(HttpHeaderNames.CONNECTION, "close");
                    OpenAiErrors.send(response, 413, OpenAiErrors.INVALID_REQUEST, "request_too_large", null,
                            tooLarge());
                    return;
                }
                touch();
                to.write(chunk.getByteBuf());
                if (!to.writable()) {
                    request.pause();
                }
            });
            request.endHandler(v -> {
                if (upstream != null && !finished) {
                    upstream.end();
                }
            });
            Relay.continueIfExpected(request);
            request.resume();
        }

        @Override
        public void drained() {
            request.resume();
        }

        @Override
        public void head(HttpResponse head) {
            if (finished) {
                return;
            }
            Relay.copyHead(head, response, method);
            response.putHeader(MODEL_HEADER, route.servedModel());
            response.putHeader(BACKEND_HEADER, route.meters().backendId());
            eventStream = isEventStream(head.headers().get(HttpHeaderNames.CONTENT_TYPE));
            if (eventStream) {
                Relay.sendEventStreamHead(response, context);
            }
            outcome = Outcome.ofStatus(head.status().code());
            answered = true;
            touch();
        }

        /**
         * A piece of the answer, written (and flushed) as it arrives; the last one ends the response with it (one
         * write for a small non-streamed completion). A client slower than the backend pauses the backend.
         */
        @Override
        public void content(ByteBuf content, boolean last) {
            if (finished) {
                return;
            }
            if (!last) {
                touch();
            }
            int length = content.readableBytes();
            if (length > 0 && firstChunk) {
                firstChunk = false;
                if (eventStream) {
                    route.meters().firstChunk(System.nanoTime() - start);
                }
            }
            Buffer chunk = length == 0 ? null : Buffer.buffer(ByteBufUtil.getBytes(content));
            if (last) {
                if (chunk == null) {
                    response.end();
                } else {
                    response.end(chunk);
                }
                finish(outcome);
                return;
            }
            if (chunk != null) {
                response.write(chunk);
                if (response.writeQueueFull()) {
                    BackendConnection from = upstream;
                    from.pauseReading();
                    response.drainHandler(v -> {
                        if (upstream == from) {
                            from.resumeReading();
                        }
                    });
                }
            }
        }

        @Override
        public void failed(Throwable cause) {
            if (finished) {
                return;
            }
            if (answered) {
                failDuringAnswer(cause);
            } else if (upstream != null && upstream.reused() && replay != null && !retried) {
                // The backend closed a pooled connection as the request went out (its keep-alive ran out): the
                // body is at hand, so it goes once more on a new connection.
                retried = true;
                upstream.release();
                upstream = null;
                lease(true);
            } else {
                failBeforeAnswer(cause);
            }
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
        }

        private void failBeforeAnswer(Throwable cause) {
            if (finished) {
                return;
            }
            String backend = "the model backend '" + route.meters().backendId() + "' at " + route.target();
            if (!request.isEnded()) {
                response.putHeader(HttpHeaderNames.CONNECTION, "close");
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
            if (upstream != null) {
                // Back to the pool after a clean exchange; closed otherwise, which cancels the backend's work.
                upstream.release();
                upstream = null;
            }
            if (sent) {
                route.meters().finished(outcome, System.nanoTime() - start);
            }
        }
    }
}
