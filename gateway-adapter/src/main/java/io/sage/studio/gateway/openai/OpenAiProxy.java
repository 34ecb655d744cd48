package io.sage.studio.gateway.openai;

import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeoutException;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.quarkus.vertx.http.runtime.security.SecurityHandlerPriorities;
import io.sage.studio.common.auth.Authenticator;
import io.sage.studio.common.auth.RequestGuard;
import io.sage.studio.common.engine.EngineApiKey;
import io.sage.studio.common.error.ErrorCode;
import io.sage.studio.common.error.ErrorKind;
import io.sage.studio.common.tracing.Tracing;
import io.sage.studio.gateway.GatewayError;
import io.sage.studio.gateway.config.GatewayConfig;
import io.sage.studio.gateway.proxy.BackendClient;
import io.sage.studio.gateway.proxy.IdleWatch;
import io.sage.studio.gateway.proxy.Relay;
import io.sage.studio.gateway.proxy.UpstreamTarget;
import io.sage.studio.gateway.routing.ActiveRoute;
import io.sage.studio.gateway.routing.RouteTable;
import io.sage.studio.gateway.routing.RouteTarget;
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
    /** Endpoints that take {@code multipart/form-data} (vLLM's audio API); every other {@code /v1} body is JSON. */
    private static final String MULTIPART_PREFIX = "/v1/audio/";
    /** vLLM's runtime adapter management belongs to the chat-switch-service, never to chat clients. */
    private static final Set<String> HIDDEN_PATHS = Set.of("/v1/load_lora_adapter", "/v1/unload_lora_adapter");

    private static final String MODELS = "/v1/models";
    private static final String TRACEPARENT = "traceparent";
    /** The header that names a conversation for a sticky traffic split (before the body's {@code user}). */
    public static final String SESSION_HEADER = "X-Session-Id";
    /** Served models an unknown-model error names at most. */
    private static final int MODELS_NAMED = 20;
    /** Quarkus' filters run at order {@code -priority}: after CORS (300), before authentication (200). */
    private static final int FAST_ROUTE_ORDER =
            -(SecurityHandlerPriorities.AUTHENTICATION + SecurityHandlerPriorities.CORS) / 2;

    private final RouteTable routes;
    /**
     * Headers of requests to backends: copied from a request Vert.x parsed and validated already, so they are not
     * validated twice.
     */
    private static final DefaultHttpHeadersFactory HEADERS =
            DefaultHttpHeadersFactory.headersFactory().withValidation(false);

    private final BackendClient connections;
    private final GatewayMetrics metrics;
    private final GatewayConfig config;
    private final Authenticator authenticator;
    /** Host/Origin checks of the fast route (mode none); {@code null} when {@code AuthFilter} runs first. */
    private final RequestGuard guard;

    private final EngineAuthorization engineAuthorization;
    /** Models loaded on demand for requests that name one the route does not serve. */
    private final OnDemandLoads onDemand;
    /**
     * Tracing is on (an OTLP endpoint is set): Quarkus' Vert.x instrumentation gives each {@code /v1} request a server
     * span, and the request to the backend carries its {@code traceparent}. Off, Vert.x runs without a tracer and the
     * exchange does not even look the context up.
     */
    private final boolean traced;

    private final long maxRequestBytes;
    private final long maxBufferedBytes;
    /** Deadlines of exchanges at their backend ({@code upstream-timeout}). */
    private final IdleWatch idleWatch;
    /** Deadlines of request bodies being read ({@code body-read-timeout}). */
    private final IdleWatch bodyWatch;

    public OpenAiProxy(
            Vertx vertx,
            RouteTable routes,
            BackendClient connections,
            GatewayMetrics metrics,
            GatewayConfig config,
            Authenticator authenticator,
            EngineApiKey engineKey,
            RequestGuard guard,
            OnDemandLoads onDemand) {
        this.onDemand = onDemand;
        this.traced = Tracing.enabled();
        this.authenticator = authenticator;
        this.guard = authenticator.disabled() ? guard : null;
        this.routes = routes;
        this.connections = connections;
        this.metrics = metrics;
        this.config = config;
        this.engineAuthorization = new EngineAuthorization(engineKey);
        this.maxRequestBytes = this.config.maxRequestSize().asLongValue();
        this.maxBufferedBytes = this.config.maxBufferedRequestBytes().asLongValue();
        this.idleWatch = new IdleWatch(vertx, config.upstreamTimeout());
        this.bodyWatch = new IdleWatch(vertx, config.bodyReadTimeout());
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
        if (guard != null) {
            // The fast route runs ahead of AuthFilter, so it checks Host and Origin itself (DNS rebinding, drive-by
            // posts).
            Optional<RequestGuard.Refusal> refused = guard.check(request, path);
            if (refused.isPresent()) {
                RequestGuard.Refusal refusal = refused.get();
                metrics.rejected(refusal.code());
                OpenAiErrors.send(response, refusal.status(), refusal.code(), null, refusal.message());
                return;
            }
        }
        if (HIDDEN_PATHS.contains(path)) {
            reject(
                    response,
                    GatewayError.NOT_FOUND,
                    null,
                    "'" + path + "' is not served by the gateway",
                    "hidden_path");
            return;
        }
        ActiveRoute route = routes.current();
        if (!route.reachable()) {
            rejectIdle(response, route);
            return;
        }
        if (request.method() == HttpMethod.GET && (path.equals(MODELS) || path.startsWith(MODELS + "/"))) {
            models(response, route, path);
            return;
        }
        long declared = Relay.declaredLength(request);
        if (declared > maxRequestBytes) {
            // The body is not read: the connection closes once the answer is out.
            metrics.rejected("too_large");
            response.putHeader(HttpHeaderNames.CONNECTION, "close");
            Relay.closeAfter(
                    OpenAiErrors.send(response, GatewayError.REQUEST_TOO_LARGE, null, tooLarge()), request, true);
            return;
        }
        Exchange exchange = new Exchange(ctx, route, path);
        if (declared == 0) {
            exchange.begin();
        } else {
            exchange.readBody();
        }
    }

    /** Answers a request for the default while it does not serve, with the reason and when to retry. */
    private void rejectIdle(HttpServerResponse response, ActiveRoute route) {
        response.putHeader(HttpHeaderNames.RETRY_AFTER, Long.toString(route.retryAfterSeconds(config.retryAfter())));
        reject(
                response,
                route.condition().error(),
                null,
                route.problem(),
                route.condition().errorCode());
    }

    private void models(HttpServerResponse response, ActiveRoute route, String path) {
        if (route.serving()) {
            response.putHeader(MODEL_HEADER, route.servedModel());
        }
        Object body;
        if (path.equals(MODELS)) {
            body = ModelList.of(route, config.modelAlias());
        } else {
            String id = path.substring(MODELS.length() + 1);
            body = ModelList.card(route, config.modelAlias(), id);
            if (body == null) {
                reject(response, GatewayError.MODEL_NOT_FOUND, "model", unknownModel(id, route), "unknown_model");
                return;
            }
        }
        response.putHeader(HttpHeaderNames.CONTENT_TYPE, "application/json").end(Json.buffer(body));
    }

    private void reject(HttpServerResponse response, ErrorCode code, String param, String message, String reason) {
        metrics.rejected(reason);
        OpenAiErrors.send(response, code, param, message);
    }

    private String tooLarge() {
        return "the request body is larger than " + config.maxRequestSize().asLongValue()
                + " bytes (studio.gateway.max-request-size)";
    }

    private String unknownModel(String requested, ActiveRoute route) {
        StringBuilder served = new StringBuilder();
        int listed = 0;
        for (RouteTarget target : route.models()) {
            if (listed == MODELS_NAMED) {
                served.append(", …");
                break;
            }
            served.append(listed++ == 0 ? "'" : ", '")
                    .append(target.servedModel())
                    .append('\'');
        }
        return "The model '" + requested + "' does not exist. Served: " + served + "; '" + config.modelAlias()
                + (route.serving()
                        ? "' names the default model '" + route.servedModel() + "'."
                        : "' names the default model, and there is none now.");
    }

    private static boolean isJson(String contentType) {
        return contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("application/json");
    }

    /** Whether a {@code /v1} endpoint takes JSON: all but the multipart ones ({@code /v1/audio/…}). */
    private static boolean jsonEndpoint(String path) {
        return !path.startsWith(MULTIPART_PREFIX);
    }

    private static boolean isEventStream(String contentType) {
        return contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("text/event-stream");
    }

    /**
     * One proxied request, from its head to the end of the answer, all on the request's event loop: its body is read
     * whole first (bytes held only as they arrive, counted in {@code max-buffered-request-bytes}, under
     * {@code body-read-timeout}), then it takes a slot of {@code max-concurrent-requests} and goes to the backend.
     */
    private final class Exchange extends IdleWatch.Watched implements BackendClient.Listener {

        private final HttpServerRequest request;
        private final HttpMethod method;
        private final HttpServerResponse response;
        /** The route of the request: the one at its arrival, or the one a model loaded on demand appeared in. */
        private ActiveRoute route;
        /** The model the request goes to, chosen once its body is read. */
        private RouteTarget target;
        /** The wait for a model loaded on demand, while there is one. */
        private OnDemandLoads.Wait waiting;

        private final String path;
        private final String pathAndQuery;
        private final long start = System.nanoTime();
        /** When the request went to the backend (time to first byte is counted from there). */
        private long sentAt;
        /** The server span's W3C context for the backend, or {@code null} when untraced (a client's passes through). */
        private final String traceparent;
        /** The request's context, whose event loop runs the whole exchange. */
        private final ContextInternal context = (ContextInternal) Vertx.currentContext();
        /** The backend connection while the exchange holds it. */
        private BackendClient.Lease upstream;
        /** The body read so far (then: as sent), {@code null} while nothing arrived. */
        private Buffer body;
        /** Bytes of {@link #body} counted in the gateway's request buffer. */
        private long buffered;
        /** Where the exchange is in its life cycle; changed by {@link #moveTo} only. */
        private State state = State.RECEIVED;
        /** The client's JSON body is sent with {@code Content-Type: application/json} whatever it said. */
        private boolean declareJson;
        /** The answer is a server-sent-event stream. */
        private boolean eventStream;
        /** No piece of the answer's body has arrived yet (time to first chunk). */
        private boolean firstChunk = true;
        /** The answer is a success, whose first body byte is a time-to-first-token sample of the traffic figures. */
        private boolean countFirstByte;

        private Outcome outcome;

        Exchange(RoutingContext ctx, ActiveRoute route, String path) {
            this.request = ctx.request();
            this.method = request.method();
            this.response = ctx.response();
            this.route = route;
            this.path = path;
            this.pathAndQuery = request.query() == null ? path : path + "?" + request.query();
            this.traceparent = traced ? Tracing.currentTraceparent() : null;
            ctx.addEndHandler(ar -> {
                // An answer already ended is not a client that left: on a connection upgraded to HTTP/2 (h2c, what
                // the JDK's client asks for) the stream's end is reported as a failure while the last chunk is
                // written, before the exchange records its outcome.
                if (ar.failed() && !response.ended()) {
                    cancel();
                }
            });
        }

        /**
         * Reads the body as it arrives (bounded by {@code max-request-size} and the gateway's request buffer; a body
         * that stalls for {@code body-read-timeout} is answered 408), then {@linkplain #begin() begins}. Nothing is
         * reserved for a declared {@code Content-Length}: a client that announces 16 MiB and sends nothing costs
         * its connection, no memory and no slot.
         */
        void readBody() {
            moveTo(State.READING_BODY);
            bodyWatch.watch(this);
            request.handler(this::bodyChunk);
            request.exceptionHandler(e -> cancel());
            request.endHandler(v -> {
                if (state == State.READING_BODY) {
                    moveTo(State.RECEIVED);
                    bodyWatch.unwatch(this);
                    begin();
                }
            });
            Relay.continueIfExpected(request);
        }

        private void bodyChunk(Buffer chunk) {
            if (state == State.FINISHED) {
                return;
            }
            int length = chunk.length();
            if (buffered + length > maxRequestBytes) {
                refuseBody(GatewayError.REQUEST_TOO_LARGE, tooLarge(), "too_large");
                return;
            }
            if (!metrics.tryBuffer(length, maxBufferedBytes)) {
                response.putHeader(HttpHeaderNames.RETRY_AFTER, "1");
                refuseBody(
                        GatewayError.REQUEST_BUFFER_FULL,
                        "the gateway holds " + maxBufferedBytes + " bytes of request bodies already"
                                + " (studio.gateway.max-buffered-request-bytes); retry shortly",
                        "buffer_full");
                return;
            }
            buffered += length;
            touch();
            // The first piece is kept as it is (the whole body, usually); later ones are appended as they come.
            body = body == null ? chunk : body.appendBuffer(chunk);
        }

        /** The whole request is in: it takes a slot, then its body is checked and it goes to the backend. */
        void begin() {
            if (state == State.FINISHED) {
                return;
            }
            if (!metrics.tryAcquire(config.maxConcurrentRequests())) {
                response.putHeader(HttpHeaderNames.RETRY_AFTER, "1");
                refuse(
                        GatewayError.TOO_MANY_CONCURRENT_REQUESTS,
                        null,
                        "the gateway already has " + config.maxConcurrentRequests()
                                + " requests in progress (studio.gateway.max-concurrent-requests); retry shortly",
                        "too_many_requests");
                return;
            }
            moveTo(State.ADMITTED);
            if (body != null && jsonEndpoint(path)) {
                // Whatever its Content-Type says (none, text/plain, application/*+json, …): the engine reads it as
                // JSON, so the gateway checks it as JSON and says so upstream.
                declareJson = !isJson(request.getHeader(HttpHeaderNames.CONTENT_TYPE));
                route(body);
            } else {
                // Without a JSON body there is no model to read: the default serves (no split, no conversation key).
                target = route.primary();
                if (target == null) {
                    refuseIdle();
                    return;
                }
                send(body);
            }
        }

        /**
         * Picks the model of a JSON request by its {@code model} (and, for the default under a split, by its
         * conversation: {@code X-Session-Id}, else the body's {@code user}); a name the route does not serve is
         * loaded on demand when the gateway may, else refused.
         */
        private void route(Buffer json) {
            byte[] bytes = json.getBytes();
            ModelField model;
            try {
                model = ModelField.locate(bytes);
            } catch (ModelField.InvalidBody e) {
                refuse(e.code(), e.param(), e.getMessage(), "invalid_json");
                return;
            }
            String requested = model.requested();
            String session = request.getHeader(SESSION_HEADER);
            String conversation = session != null && !session.isBlank() ? session : model.user();
            target = route.choose(requested, conversation);
            if (target != null) {
                rewriteAndSend(json, bytes, model);
            } else if (route.asksForDefault(requested)) {
                refuseIdle();
            } else if (onDemand.enabled()) {
                awaitModel(json, bytes, model, conversation);
            } else {
                refuse(GatewayError.MODEL_NOT_FOUND, "model", unknownModel(requested, route), "unknown_model");
            }
        }

        /**
         * Asks the chat-switch service to serve a model the route does not name yet and waits (holding the slot, no
         * thread) for a route that names it; a wait that ends in failure answers the client with its error.
         */
        private void awaitModel(Buffer json, byte[] bytes, ModelField model, String conversation) {
            String requested = model.requested();
            waiting = onDemand.await(requested, context, ar -> {
                waiting = null;
                if (state == State.FINISHED) {
                    return;
                }
                if (ar.failed()) {
                    OnDemandLoads.Failure failure = OnDemandLoads.Failure.of(ar.cause());
                    if (failure.retryAfterSeconds() > 0) {
                        response.putHeader(HttpHeaderNames.RETRY_AFTER, Long.toString(failure.retryAfterSeconds()));
                    }
                    finish(null);
                    metrics.rejected(failure.reason());
                    OpenAiErrors.send(response, failure.code(), failure.kind(), "model", failure.getMessage());
                    return;
                }
                route = ar.result();
                target = route.choose(requested, conversation);
                if (target == null) {
                    refuse(GatewayError.MODEL_NOT_FOUND, "model", unknownModel(requested, route), "unknown_model");
                } else {
                    rewriteAndSend(json, bytes, model);
                }
            });
        }

        /** Sends the body with its {@code model} set to the chosen model's served name (added where it is missing). */
        private void rewriteAndSend(Buffer json, byte[] bytes, ModelField model) {
            String served = target.servedModel();
            boolean present = model.valueStart() >= 0;
            boolean keepAbsent = !present && !GENERATION_PATHS.contains(path) && target == route.primary();
            if (served.equals(model.requested()) || keepAbsent) {
                send(json);
            } else {
                send(model.withModel(bytes, served));
            }
        }

        /** Sends the request upstream with {@code content} as its whole body ({@code null}: none). */
        void send(Buffer content) {
            if (state == State.FINISHED) {
                return;
            }
            moveTo(State.AT_BACKEND);
            body = content;
            idleWatch.watch(this);
            target.meters().started();
            sentAt = System.nanoTime();
            lease(false);
        }

        private void lease(boolean fresh) {
            connections.lease(context.nettyEventLoop(), target.upstream(), fresh, lastActivity(), ar -> {
                if (ar.failed()) {
                    failBeforeAnswer(ar.cause());
                } else if (state == State.FINISHED) {
                    ar.result().release();
                } else {
                    upstream = ar.result();
                    upstream.send(head(), this);
                }
            });
        }

        /**
         * The request for the backend, whole: the client's end-to-end headers, the backend's own credentials (the
         * engine API key, or a cloud backend's key; never the client's), the body.
         */
        private FullHttpRequest head() {
            UpstreamTarget upstreamTarget = target.upstream();
            HttpHeaders headers = HEADERS.newHeaders();
            Relay.copyHeaders(request.headers(), headers);
            headers.set(HttpHeaderNames.HOST, upstreamTarget.hostHeader());
            // The gateway is the credential boundary: the client's key is for the gateway, the backend gets its own.
            headers.remove(HttpHeaderNames.AUTHORIZATION);
            String authorization =
                    target.cloud() ? upstreamTarget.authorization() : engineAuthorization.header(route, lastActivity());
            if (authorization != null) {
                headers.set(HttpHeaderNames.AUTHORIZATION, authorization);
            }
            if (declareJson) {
                headers.set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            }
            if (traceparent != null) {
                headers.set(TRACEPARENT, traceparent);
            }
            io.netty.handler.codec.http.HttpMethod verb = method.toNetty();
            String uri = upstreamTarget.uri(pathAndQuery);
            if (body != null) {
                headers.set(HttpHeaderNames.CONTENT_LENGTH, body.length());
                return new DefaultFullHttpRequest(
                        HttpVersion.HTTP_1_1, verb, uri, body.getByteBuf(), headers, EmptyHttpHeaders.INSTANCE);
            }
            if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
                headers.set(HttpHeaderNames.CONTENT_LENGTH, 0);
            }
            return new DefaultFullHttpRequest(
                    HttpVersion.HTTP_1_1, verb, uri, Unpooled.EMPTY_BUFFER, headers, EmptyHttpHeaders.INSTANCE);
        }

        /** Request bodies go to the backend whole, in one write: nothing waits for the connection to drain. */
        @Override
        public void drained() {}

        @Override
        public void head(HttpResponse head) {
            if (state == State.FINISHED) {
                return;
            }
            Relay.copyHead(head, response, method);
            response.putHeader(MODEL_HEADER, target.servedModel());
            response.putHeader(BACKEND_HEADER, target.backendId());
            eventStream = isEventStream(head.headers().get(HttpHeaderNames.CONTENT_TYPE));
            if (eventStream) {
                Relay.sendEventStreamHead(response, context);
            }
            outcome = Outcome.ofStatus(head.status().code());
            countFirstByte = head.status().code() < 400;
            moveTo(State.ANSWERING);
            touch();
        }

        /**
         * A piece of the answer, written (and flushed) as it arrives; the last one ends the response with it (one
         * write for a small non-streamed completion). A client slower than the backend pauses the backend.
         */
        @Override
        public void content(ByteBuf content, boolean last) {
            if (state == State.FINISHED) {
                return;
            }
            if (!last) {
                touch();
            }
            int length = content.readableBytes();
            if (length > 0 && firstChunk) {
                firstChunk = false;
                long now = System.nanoTime();
                if (eventStream) {
                    target.meters().firstChunk(now - start);
                }
                if (countFirstByte) {
                    target.meters().firstByte(now - sentAt);
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
                    BackendClient.Lease from = upstream;
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
            if (state == State.FINISHED) {
                return;
            }
            if (state == State.ANSWERING) {
                failDuringAnswer(cause);
            } else if (state == State.AT_BACKEND && upstream != null && upstream.reused()) {
                // The backend closed a pooled connection as the request went out (its keep-alive ran out): the
                // request is at hand whole, so it goes once more on a new connection.
                moveTo(State.RESENT);
                upstream.release();
                upstream = null;
                lease(true);
            } else {
                failBeforeAnswer(cause);
            }
        }

        /**
         * While the body is read: nothing of it arrived for {@code body-read-timeout}, a 408 and the connection
         * closed. At the backend: nothing came from it for {@code upstream-timeout}; before its answer that is a 504,
         * during a stream the connection is cut (headers are out).
         */
        @Override
        protected void idle() {
            if (state == State.FINISHED) {
                return;
            }
            if (state == State.READING_BODY) {
                refuseBody(
                        GatewayError.REQUEST_TIMEOUT,
                        "the request body stalled: nothing of it arrived for "
                                + config.bodyReadTimeout().toMillis() + " ms (studio.gateway.body-read-timeout)",
                        "body_timeout");
                return;
            }
            TimeoutException timeout = new TimeoutException(
                    "nothing moved for " + config.upstreamTimeout().toMillis() + " ms");
            if (state == State.ANSWERING) {
                failDuringAnswer(timeout);
            } else {
                failBeforeAnswer(timeout);
            }
        }

        private void failBeforeAnswer(Throwable cause) {
            if (state == State.FINISHED) {
                return;
            }
            String backend = "the model backend '" + target.backendId() + "' at " + target.upstream();
            if (!request.isEnded()) {
                response.putHeader(HttpHeaderNames.CONNECTION, "close");
            }
            boolean timeout = cause instanceof TimeoutException;
            if (upstream == null) {
                finish(timeout ? Outcome.TIMEOUT : Outcome.UNREACHABLE);
                OpenAiErrors.send(
                        response,
                        GatewayError.BACKEND_UNREACHABLE,
                        timeout ? ErrorKind.TIMEOUT : ErrorKind.UPSTREAM_FAILED,
                        null,
                        backend + " is not reachable: " + Relay.describe(cause));
            } else if (timeout) {
                finish(Outcome.TIMEOUT);
                OpenAiErrors.send(
                        response,
                        GatewayError.BACKEND_TIMEOUT,
                        null,
                        backend + " sent nothing for "
                                + config.upstreamTimeout().toSeconds() + " s (studio.gateway.upstream-timeout)");
            } else {
                finish(Outcome.BROKEN);
                OpenAiErrors.send(
                        response,
                        GatewayError.BACKEND_FAILED,
                        null,
                        backend + " failed before answering: " + Relay.describe(cause));
            }
        }

        private void failDuringAnswer(Throwable cause) {
            if (state == State.FINISHED) {
                return;
            }
            finish(cause instanceof TimeoutException ? Outcome.TIMEOUT : Outcome.BROKEN);
            // Headers (and maybe part of a stream) are out: closing the connection is the only honest signal.
            response.reset();
        }

        private void cancel() {
            finish(Outcome.CANCELLED);
        }

        /** Answers the request with an error of the gateway's own; nothing went (or goes) to the backend. */
        private void refuse(ErrorCode code, String param, String message, String reason) {
            if (state == State.FINISHED) {
                return;
            }
            finish(null);
            reject(response, code, param, message, reason);
        }

        /** {@link #refuse} of a request for the default while only models served by name answer. */
        private void refuseIdle() {
            if (state == State.FINISHED) {
                return;
            }
            finish(null);
            rejectIdle(response, route);
        }

        /**
         * {@link #refuse} while the body is still coming: the rest of it is not kept, and the connection closes once
         * the answer is out (a client that keeps sending must not keep it).
         */
        private void refuseBody(GatewayError code, String message, String reason) {
            if (state == State.FINISHED) {
                return;
            }
            finish(null);
            metrics.rejected(reason);
            response.putHeader(HttpHeaderNames.CONNECTION, "close");
            Relay.closeAfter(
                    OpenAiErrors.send(response, code, null, message), request, code != GatewayError.REQUEST_TIMEOUT);
        }

        private void finish(Outcome outcome) {
            State was = state;
            if (was == State.FINISHED) {
                return;
            }
            moveTo(State.FINISHED);
            if (was.holdsSlot()) {
                metrics.release();
            }
            if (buffered > 0) {
                metrics.unbuffer(buffered);
                buffered = 0;
            }
            if (was == State.READING_BODY) {
                bodyWatch.unwatch(this);
            } else {
                idleWatch.unwatch(this);
            }
            if (upstream != null) {
                // Back to the pool after a clean exchange; closed otherwise, which cancels the backend's work.
                upstream.release();
                upstream = null;
            }
            if (waiting != null) {
                waiting.cancel();
                waiting = null;
            }
            if (was.sent()) {
                target.meters().finished(outcome, System.nanoTime() - start);
            }
        }

        /** The one place the state changes: a move the life cycle does not have is a bug, and fails loudly. */
        private void moveTo(State next) {
            if (!state.canMoveTo(next)) {
                throw new IllegalStateException("exchange " + pathAndQuery + ": " + state + " -> " + next);
            }
            state = next;
        }
    }

    /**
     * The life cycle of an {@link Exchange}. Every state can end in {@link #FINISHED} (answered, refused, failed or
     * cancelled); otherwise it goes forward only:
     *
     * <pre>
     * RECEIVED ⇄ READING_BODY (a body is read, then the request is whole)
     * RECEIVED → ADMITTED → AT_BACKEND → ANSWERING
     *                       AT_BACKEND → RESENT → ANSWERING (a dropped pooled connection: once more on a new one)
     * </pre>
     */
    enum State {
        /** The head arrived; the body, if any, is whole (or not read yet). */
        RECEIVED,
        /** The body is being read, watched by {@code body-read-timeout}; no slot held. */
        READING_BODY,
        /** Holds one of the {@code max-concurrent-requests} slots; the body is being checked. */
        ADMITTED,
        /** Sent (or being sent) to the backend, watched by {@code upstream-timeout}; no answer yet. */
        AT_BACKEND,
        /** Sent once more on a new connection after a pooled one broke; no answer yet, no further retry. */
        RESENT,
        /** The answer's head is out to the client; its body is being relayed. */
        ANSWERING,
        /** Over: nothing more happens, whatever arrives. */
        FINISHED;

        boolean holdsSlot() {
            return this == ADMITTED || sent();
        }

        boolean sent() {
            return this == AT_BACKEND || this == RESENT || this == ANSWERING;
        }

        boolean canMoveTo(State next) {
            return switch (next) {
                case FINISHED -> this != FINISHED;
                case READING_BODY -> this == RECEIVED;
                case RECEIVED -> this == READING_BODY;
                case ADMITTED -> this == RECEIVED;
                case AT_BACKEND -> this == ADMITTED;
                case RESENT -> this == AT_BACKEND;
                case ANSWERING -> this == AT_BACKEND || this == RESENT;
            };
        }
    }
}
