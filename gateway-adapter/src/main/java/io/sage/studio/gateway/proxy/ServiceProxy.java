package io.sage.studio.gateway.proxy;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import com.fasterxml.jackson.core.JsonProcessingException;

import io.quarkus.vertx.http.runtime.RouteConstants;
import io.sage.studio.common.error.ErrorBody;
import io.sage.studio.events.StudioJson;
import io.sage.studio.gateway.config.GatewayConfig;
import io.sage.studio.gateway.config.ServicesConfig;
import io.vertx.core.AsyncResult;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code /api/finetune/**}, {@code /api/chat/**} and {@code /api/system/**} reverse-proxied to the owning service,
 * so that a browser and an ingress see one origin. Bodies stream both ways (dataset uploads, SSE task streams,
 * model downloads); nothing is buffered whole. Errors of the proxy itself use the studio error shape.
 */
@Singleton
public class ServiceProxy {

    private static final String[] PREFIXES = {"/api/finetune/*", "/api/chat/*", "/api/system/*"};

    private final UpstreamClients clients;
    private final Map<OwningService, UpstreamTarget> targets = new EnumMap<>(OwningService.class);
    private final long maxUploadBytes;

    public ServiceProxy(UpstreamClients clients, GatewayConfig config, ServicesConfig services) {
        this.clients = clients;
        this.maxUploadBytes = config.maxUploadSize().asLongValue();
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
            router.route(prefix).order(RouteConstants.ROUTE_ORDER_BEFORE_DEFAULT).handler(this::handle);
        }
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
            error(response, 413, "payload_too_large", tooLarge());
            return;
        }
        RequestOptions options = target.options(request.method(),
                request.query() == null ? path : path + "?" + request.query());
        HttpClientRequest[] upstream = {null};
        ctx.addEndHandler(ar -> {
            if (ar.failed() && upstream[0] != null) {
                upstream[0].reset();
            }
        });
        clients.services().request(options).onComplete(ar -> {
            if (ar.failed()) {
                unreachable(request, response, owner, target, ar.cause());
                return;
            }
            HttpClientRequest up = ar.result();
            if (response.closed()) {
                up.reset();
                return;
            }
            upstream[0] = up;
            Relay.copyHeaders(request.headers(), up.headers());
            forwardedFor(request, up.headers());
            // Failures reach the response future (before the answer) or the response (during it).
            up.exceptionHandler(e -> { });
            up.response().onComplete(answer -> answer(request, response, owner, target, answer));
            if (declared == 0) {
                up.end();
                request.resume();
            } else {
                Relay.forwardBody(request, up, declared, maxUploadBytes, () -> { }, () -> {
                    response.putHeader(HttpHeaders.CONNECTION, "close");
                    error(response, 413, "payload_too_large", tooLarge());
                    up.reset();
                });
            }
        });
    }

    private void answer(HttpServerRequest request, HttpServerResponse response, OwningService owner,
            UpstreamTarget target, AsyncResult<HttpClientResponse> ar) {
        if (response.ended() || response.closed()) {
            return;
        }
        if (ar.failed()) {
            if (!request.isEnded()) {
                response.putHeader(HttpHeaders.CONNECTION, "close");
            }
            error(response, 502, "service_failed",
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
        Relay.forwardBody(up, response, chunk -> { }, () -> { });
    }

    private void unreachable(HttpServerRequest request, HttpServerResponse response, OwningService owner,
            UpstreamTarget target, Throwable cause) {
        if (!request.isEnded()) {
            response.putHeader(HttpHeaders.CONNECTION, "close");
        }
        boolean timeout = cause instanceof TimeoutException;
        error(response, timeout ? 504 : 502, "service_unreachable",
                owner.serviceName() + " is not reachable at " + target + ": " + Relay.describe(cause));
    }

    private static void forwardedFor(HttpServerRequest request, MultiMap headers) {
        String client = request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
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

    private static void error(HttpServerResponse response, int status, String code, String message) {
        if (response.headWritten()) {
            response.reset();
            return;
        }
        byte[] body;
        try {
            body = StudioJson.mapper().writeValueAsBytes(ErrorBody.of(code, message));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(Buffer.buffer(body));
    }
}
