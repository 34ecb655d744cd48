package io.sage.studio.gateway.openai;

import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.vertx.http.runtime.VertxHttpRecorder;
import io.sage.studio.gateway.GatewayError;
import io.sage.studio.gateway.config.GatewayConfig;
import io.sage.studio.gateway.status.GatewayMetrics;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.impl.HttpUtils;

/**
 * The stable local OpenAI URL ({@code studio.gateway.llm-port}, the seed's {@code SAGE_STUDIO_LLM_PORT}, 8001): a
 * second HTTP listener that hands every {@code /v1} request to the very handler chain of the main port (Quarkus'
 * root handler: CORS, the studio's {@code AuthFilter} or {@link OpenAiProxy}'s own Host/Origin guard, then
 * {@link OpenAiProxy} with its limits, watches, meters and the route table), so it answers whichever engine serves
 * behind. Every other path is a 404 in OpenAI's shape, decided on the path as the router will see it (normalised:
 * {@code /v1/../api} is {@code /api}, refused). Not started when the key is unset; a taken port fails the start-up.
 * Why a listener of its own: {@code DESIGN.md}, "The LLM port".
 */
@Singleton
public class LlmPortListener {

    private static final Logger LOG = Logger.getLogger(LlmPortListener.class);
    private static final Duration BIND_TIMEOUT = Duration.ofSeconds(30);
    private static final String ONLY_V1 = "this port (studio.gateway.llm-port) serves only the OpenAI-compatible API "
            + "under /v1 (GET /v1/models, POST /v1/chat/completions, ...); the web UI, /api and /q are on the "
            + "gateway's main port";

    private final Vertx vertx;
    private final GatewayConfig config;
    private final Config settings;
    private final GatewayMetrics metrics;
    private volatile String deployment;
    private volatile int port = -1;

    public LlmPortListener(Vertx vertx, GatewayConfig config, Config settings, GatewayMetrics metrics) {
        this.vertx = vertx;
        this.config = config;
        this.settings = settings;
        this.metrics = metrics;
    }

    /** The port the listener is bound to, empty when there is none. */
    public OptionalInt port() {
        int bound = port;
        return bound < 0 ? OptionalInt.empty() : OptionalInt.of(bound);
    }

    void start(@Observes StartupEvent event) {
        if (config.llmPort().isEmpty()) {
            return;
        }
        int requested = config.llmPort().get();
        int mainPort =
                settings.getOptionalValue("quarkus.http.port", Integer.class).orElse(8080);
        if (requested != 0 && requested == mainPort) {
            // Vert.x would share the main server's socket instead of failing: refuse it here.
            throw new IllegalStateException("studio.gateway.llm-port (" + requested + ") must differ from the "
                    + "gateway's own port quarkus.http.port: choose another port (SAGE_STUDIO_LLM_PORT)");
        }
        HttpServerOptions options = options(requested);
        // One listener per event loop, like the main server; a free port picked by the system (0) takes one, since
        // Vert.x shares only a port it was given.
        int instances = requested == 0
                ? 1
                : settings.getOptionalValue("quarkus.http.io-threads", Integer.class)
                        .orElse(2 * Runtime.getRuntime().availableProcessors());
        Handler<HttpServerRequest> root = VertxHttpRecorder.getRootHandler();
        Bound bound = listen(vertx, options, instances, request -> {
            if (openAiPath(request.path())) {
                root.handle(request);
                return;
            }
            metrics.rejected("llm_port_path");
            OpenAiErrors.send(request.response(), GatewayError.NOT_FOUND, null, ONLY_V1);
        });
        deployment = bound.deployment();
        port = bound.port();
        LOG.infof(
                "the OpenAI-compatible API also listens on http://%s:%d/v1 (studio.gateway.llm-port)",
                options.getHost(), port);
    }

    void stop(@Observes ShutdownEvent event) {
        String id = deployment;
        if (id == null) {
            return;
        }
        deployment = null;
        try {
            vertx.undeploy(id).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warnf("closing the LLM port listener: %s", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        port = -1;
    }

    /** The main server's connection settings that matter at the edge: host, idle timeout, head limits. */
    private HttpServerOptions options(int requested) {
        HttpServerOptions options = new HttpServerOptions()
                .setHost(settings.getOptionalValue("quarkus.http.host", String.class)
                        .orElse("127.0.0.1"))
                .setPort(requested);
        settings.getOptionalValue("quarkus.http.idle-timeout", Duration.class)
                .ifPresent(idle -> options.setIdleTimeout((int) Math.max(1, idle.toSeconds()))
                        .setIdleTimeoutUnit(TimeUnit.SECONDS));
        settings.getOptionalValue("quarkus.http.limits.max-initial-line-length", Integer.class)
                .ifPresent(options::setMaxInitialLineLength);
        settings.getOptionalValue("quarkus.http.limits.max-header-size", MemorySize.class)
                .ifPresent(size -> options.setMaxHeaderSize((int) size.asLongValue()));
        return options;
    }

    /** Whether a request path is the OpenAI API's ({@code /v1} or below it), judged as the router will judge it. */
    static boolean openAiPath(String path) {
        if (path == null || path.isEmpty() || path.charAt(0) != '/') {
            return false;
        }
        String normalized;
        try {
            // What RoutingContext.normalizedPath() returns: the router matches /v1/* against this.
            normalized = HttpUtils.normalizePath(path);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return normalized.equals("/v1") || normalized.startsWith("/v1/");
    }

    /** A started listener: its Vert.x deployment and the port it is bound to. */
    record Bound(String deployment, int port) {}

    /**
     * Deploys {@code instances} servers on {@code options}' host and port, each on an event loop of its own, all
     * answering with {@code handler}; fails with an {@link IllegalStateException} naming the setting when the port
     * cannot be bound (taken by another program).
     */
    static Bound listen(Vertx vertx, HttpServerOptions options, int instances, Handler<HttpServerRequest> handler) {
        AtomicInteger actual = new AtomicInteger(-1);
        try {
            String id = vertx.deployVerticle(
                            () -> new Listener(options, handler, actual),
                            new DeploymentOptions().setInstances(instances))
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(BIND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            return new Bound(id, actual.get());
        } catch (ExecutionException e) {
            throw new IllegalStateException(
                    "studio.gateway.llm-port: cannot listen on " + options.getHost() + ":" + options.getPort() + " ("
                            + e.getCause().getMessage() + "); another program holds the port: stop it or choose "
                            + "another port (SAGE_STUDIO_LLM_PORT for ./sage studio start, else "
                            + "STUDIO_GATEWAY_LLM_PORT)",
                    e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException(
                    "studio.gateway.llm-port: listening on " + options.getPort() + " took longer than " + BIND_TIMEOUT,
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding studio.gateway.llm-port", e);
        }
    }

    /** One listener on one event loop. */
    private static final class Listener extends AbstractVerticle {

        private final HttpServerOptions options;
        private final Handler<HttpServerRequest> handler;
        private final AtomicInteger actual;

        Listener(HttpServerOptions options, Handler<HttpServerRequest> handler, AtomicInteger actual) {
            this.options = options;
            this.handler = handler;
            this.actual = actual;
        }

        @Override
        public void start(Promise<Void> started) {
            vertx.createHttpServer(options)
                    .requestHandler(handler)
                    .listen()
                    .onSuccess(server -> {
                        actual.set(server.actualPort());
                        started.complete();
                    })
                    .onFailure(started::fail);
        }
    }
}
