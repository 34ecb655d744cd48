package io.sage.studio.gateway.proxy;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import com.fasterxml.jackson.core.JsonProcessingException;

import io.quarkus.vertx.http.runtime.RouteConstants;
import io.sage.studio.common.error.ErrorBody;
import io.sage.studio.common.error.ErrorKind;
import io.sage.studio.common.error.HttpStatuses;
import io.sage.studio.events.StudioJson;
import io.sage.studio.gateway.GatewayError;
import io.sage.studio.gateway.config.GatewayConfig;
import io.sage.studio.gateway.config.ServicesConfig;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ConnectionPoolTooBusyException;
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
 * {@code /api/finetune/**}, {@code /api/chat/**}, {@code /api/system/**}, {@code /api/webhooks/**} and
 * {@code /api/audit/**} reverse-proxied to the owning service,
 * so that a browser and an ingress see one origin. Bodies stream both ways (dataset uploads, SSE task streams,
 * model downloads); nothing is buffered whole. Calls, uploads and streams use connections of their own
 * ({@link UpstreamClients}), so that open streams and slow uploads never starve ordinary calls; an upload that
 * stalls for {@code body-read-timeout} is answered 408. Errors of the proxy itself use the studio error shape.
 */
@Singleton
public class ServiceProxy {

    private static final String[] PREFIXES = {
        "/api/finetune/*",
        "/api/chat/*",
        "/api/system/*",
        "/api/webhooks",
        "/api/webhooks/*",
        "/api/audit",
        "/api/audit/*"
    };

    private final UpstreamClients clients;
    private final Map<OwningService, UpstreamTarget> targets = new EnumMap<>(OwningService.class);
    private final long maxUploadBytes;
    private final GatewayConfig config;
    /** Deadlines of uploads being relayed ({@code body-read-timeout}). */
    private final IdleWatch uploads;

    public ServiceProxy(Vertx vertx, UpstreamClients clients, GatewayConfig config, ServicesConfig services) {
        this.clients = clients;
        this.config = config;
        this.maxUploadBytes = config.maxUploadSize().asLongValue();
        this.uploads = new IdleWatch(vertx, config.bodyReadTimeout());
        targets.put(OwningService.FINETUNE, target("studio.services.finetune-url", services.finetuneUrl()));
        targets.put(OwningService.CHAT, target("studio.services.chat-url", services.chatUrl()));
        targets.put(OwningService.GPU, target("studio.services.gpu-url", services.gpuUrl()));
    }

    private static UpstreamTarget target(String key, String url) {
        try {
            return UpstreamTarget.parse(url, null);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(key + ": " + e.getMessage(), e);
        }
    }

    void register(@Observes Router router) {
        for (String prefix : PREFIXES) {
            router.route(prefix)
                    .order(RouteConstants.ROUTE_ORDER_BEFORE_DEFAULT)
                    .handler(this::handle);
        }
    }

    /**
     * What a request is to the proxy: a body makes it an upload; a {@code GET} for server-sent events (it accepts
     * {@code text/event-stream}, or is one of the services' stream endpoints: {@code …/stream},
     * {@code …?follow=true}) a stream; anything else a call.
     */
    static UpstreamClients.Kind kind(HttpServerRequest request, String path, long declared) {
        if (declared != 0) {
            return UpstreamClients.Kind.UPLOAD;
        }
        if (request.method() == HttpMethod.GET) {
            String accept = request.getHeader(HttpHeaders.ACCEPT);
            String query = request.query();
            if ((accept != null && accept.contains("text/event-stream"))
                    || path.endsWith("/stream")
                    || (query != null && query.contains("follow=true"))) {
                return UpstreamClients.Kind.STREAM;
            }
        }
        return UpstreamClients.Kind.CALL;
    }

    void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        HttpServerResponse response = ctx.response();
        request.pause();
        String path = ctx.normalizedPath();
        OwningService owner = OwningService.of(path);
        UpstreamTarget target = targets.get(owner);
        long declared = Relay.declaredLength(request);
        if (declared > maxUploadBytes) {
            response.putHeader(HttpHeaders.CONNECTION, "close");
            Relay.closeAfter(error(response, GatewayError.PAYLOAD_TOO_LARGE, tooLarge()), request, true);
            return;
        }
        UpstreamClients.Kind kind = kind(request, path, declared);
        RequestOptions options =
                target.options(request.method(), request.query() == null ? path : path + "?" + request.query());
        HttpClientRequest[] upstream = {null};
        Upload upload = kind == UpstreamClients.Kind.UPLOAD ? new Upload(request, response) : null;
        ctx.addEndHandler(ar -> {
            // An upload still coming after a complete answer stays watched: if it stalls, its connection goes.
            if (upload != null && (ar.failed() || request.isEnded())) {
                upload.done();
            }
            if (ar.failed() && upstream[0] != null) {
                upstream[0].reset();
            }
        });
        clients.services(kind).request(options).onComplete(ar -> {
            if (ar.failed()) {
                if (ar.cause() instanceof ConnectionPoolTooBusyException) {
                    busy(request, response, owner, kind);
                } else {
                    unreachable(request, response, owner, target, ar.cause());
                }
                return;
            }
            HttpClientRequest up = ar.result();
            // Failures reach the response future (before the answer) or the response (during it).
            up.exceptionHandler(e -> {});
            if (response.closed()) {
                up.reset(); // the client left while the request waited for a connection
                return;
            }
            upstream[0] = up;
            Relay.copyHeaders(request.headers(), up.headers());
            forwardedFor(request, up.headers());
            up.response().onComplete(answer -> answer(request, response, owner, target, answer));
            if (upload == null) {
                up.end();
                request.resume();
            } else {
                upload.start(up);
                Relay.forwardBody(request, up, declared, maxUploadBytes, upload::progress, upload::done, () -> {
                    upload.done();
                    if (!response.headWritten()) {
                        response.putHeader(HttpHeaders.CONNECTION, "close");
                    }
                    Relay.closeAfter(error(response, GatewayError.PAYLOAD_TOO_LARGE, tooLarge()), request, true);
                    up.reset();
                });
            }
        });
    }

    /** The service's connections of that kind and their wait queue are all taken. */
    private void busy(
            HttpServerRequest request, HttpServerResponse response, OwningService owner, UpstreamClients.Kind kind) {
        response.putHeader(HttpHeaders.RETRY_AFTER, "1");
        boolean bodyLeft = !request.isEnded();
        if (bodyLeft) {
            response.putHeader(HttpHeaders.CONNECTION, "close");
        }
        Future<Void> answer;
        if (kind == UpstreamClients.Kind.STREAM) {
            answer = error(
                    response,
                    GatewayError.TOO_MANY_STREAMS,
                    owner.serviceName() + " already has "
                            + config.maxServiceStreams() + " streams open through the gateway"
                            + " (studio.gateway.max-service-streams); retry shortly");
        } else {
            boolean upload = kind == UpstreamClients.Kind.UPLOAD;
            answer = error(
                    response,
                    GatewayError.SERVICE_BUSY,
                    owner.serviceName() + " is busy: its "
                            + (upload
                                    ? config.maxServiceUploads() + " upload connections"
                                    : config.servicePoolSize() + " connections")
                            + " and " + config.serviceWaitQueueSize() + " places to wait are taken (studio.gateway."
                            + (upload ? "max-service-uploads" : "service-pool-size")
                            + ", studio.gateway.service-wait-queue-size); retry shortly");
        }
        if (bodyLeft) {
            Relay.closeAfter(answer, request, true);
        }
    }

    /**
     * An upload being relayed: its deadline restarts with every piece from the client, and nothing arriving for
     * {@code body-read-timeout} is a 408 (unless the service is what holds it back: a full write queue to it).
     */
    private final class Upload extends IdleWatch.Watched {

        private final HttpServerRequest request;
        private final HttpServerResponse response;
        private HttpClientRequest upstream;
        private boolean done;

        Upload(HttpServerRequest request, HttpServerResponse response) {
            this.request = request;
            this.response = response;
        }

        /** The connection to the service is there and the body starts to flow. */
        void start(HttpClientRequest up) {
            upstream = up;
            if (!done) {
                uploads.watch(this);
            }
        }

        void progress() {
            touch();
        }

        /** The body ended (or the exchange did): no deadline any more. */
        void done() {
            if (!done) {
                done = true;
                uploads.unwatch(this);
            }
        }

        @Override
        protected void idle() {
            if (done) {
                return;
            }
            if (upstream.writeQueueFull() || (response.headWritten() && !response.ended())) {
                // The service reads slowly (the client is paused), or it answered already and the answer is on
                // its way: not the client's stall.
                uploads.watch(this);
                return;
            }
            done = true;
            if (response.ended()) {
                // Answered early (a refusal, say): the rest of the upload is not waited for.
                Relay.closeAfter(Future.succeededFuture(), request, false);
            } else {
                response.putHeader(HttpHeaders.CONNECTION, "close");
                Relay.closeAfter(
                        error(
                                response,
                                GatewayError.REQUEST_TIMEOUT,
                                "the upload stalled: nothing of it arrived" + " for "
                                        + config.bodyReadTimeout().toMillis()
                                        + " ms (studio.gateway.body-read-timeout)"),
                        request,
                        false);
            }
            // After the answer: resetting the service's request fails its answer, which must not answer instead.
            upstream.reset();
        }
    }

    private void answer(
            HttpServerRequest request,
            HttpServerResponse response,
            OwningService owner,
            UpstreamTarget target,
            AsyncResult<HttpClientResponse> ar) {
        if (response.ended() || response.closed()) {
            return;
        }
        if (ar.failed()) {
            if (!request.isEnded()) {
                response.putHeader(HttpHeaders.CONNECTION, "close");
            }
            error(
                    response,
                    GatewayError.SERVICE_FAILED,
                    owner.serviceName() + " at " + target + " failed before answering: " + Relay.describe(ar.cause()));
            return;
        }
        HttpClientResponse up = ar.result();
        Relay.copyHead(up, response, request.method());
        String contentType = up.getHeader(HttpHeaders.CONTENT_TYPE);
        if (contentType != null && contentType.startsWith("text/event-stream")) {
            Relay.sendEventStreamHead(response, Vertx.currentContext());
        }
        up.exceptionHandler(e -> response.reset());
        Relay.forwardBody(up, response, chunk -> {}, () -> {});
    }

    private void unreachable(
            HttpServerRequest request,
            HttpServerResponse response,
            OwningService owner,
            UpstreamTarget target,
            Throwable cause) {
        if (!request.isEnded()) {
            response.putHeader(HttpHeaders.CONNECTION, "close");
        }
        boolean timeout = cause instanceof TimeoutException;
        error(
                response,
                GatewayError.SERVICE_UNREACHABLE,
                timeout ? ErrorKind.TIMEOUT : null,
                owner.serviceName() + " is not reachable at " + target + ": " + Relay.describe(cause));
    }

    private static void forwardedFor(HttpServerRequest request, MultiMap headers) {
        String client =
                request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
        if (client != null) {
            String prior = headers.get("X-Forwarded-For");
            headers.set("X-Forwarded-For", prior == null ? client : prior + ", " + client);
        }
        if (!headers.contains("X-Forwarded-Proto")) {
            headers.set("X-Forwarded-Proto", request.scheme() == null ? "http" : request.scheme());
        }
        String host = request.getHeader(HttpHeaders.HOST);
        if (host != null && !headers.contains("X-Forwarded-Host")) {
            headers.set("X-Forwarded-Host", host);
        }
    }

    private String tooLarge() {
        return "the request body is larger than " + maxUploadBytes + " bytes (studio.gateway.max-upload-size)";
    }

    private static Future<Void> error(HttpServerResponse response, GatewayError error, String message) {
        return error(response, error, null, message);
    }

    /** Answers in the studio shape with the status of the error's kind ({@code kind} overrides it when not null). */
    private static Future<Void> error(HttpServerResponse response, GatewayError error, ErrorKind kind, String message) {
        if (response.headWritten()) {
            response.reset();
            return Future.succeededFuture();
        }
        byte[] body;
        try {
            body = StudioJson.mapper().writeValueAsBytes(ErrorBody.of(error.code(), message));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return response.setStatusCode(HttpStatuses.of(kind != null ? kind : error.kind()))
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(Buffer.buffer(body));
    }
}
