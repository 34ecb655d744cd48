package io.sage.studio.gateway.openai;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.common.auth.ServiceToken;
import io.sage.studio.common.error.ErrorKind;
import io.sage.studio.events.StudioJson;
import io.sage.studio.gateway.GatewayError;
import io.sage.studio.gateway.config.GatewayConfig;
import io.sage.studio.gateway.config.ServicesConfig;
import io.sage.studio.gateway.proxy.Relay;
import io.sage.studio.gateway.proxy.UpstreamClients;
import io.sage.studio.gateway.proxy.UpstreamTarget;
import io.sage.studio.gateway.routing.ActiveRoute;
import io.sage.studio.gateway.routing.RouteTable;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/**
 * Load on demand ({@code studio.chat.load-on-demand}, like vLLM's LoRA resolver): a {@code /v1} request that names a
 * model the route does not serve asks the chat-switch service to serve it ({@code POST /api/chat/serving/on-demand}
 * {@code {"model"}}, which answers once the model serves and only ever hot-loads a registered fine-tune into room an
 * engine has) and waits, on no thread, for a route that names it. The call carries the services' token
 * ({@code studio.auth.service-token-file}), never the client's credentials: every client that may chat may cause a
 * load, as with vLLM's LoRA resolver, and one client's rights never decide the outcome for the others waiting on the
 * same call. The route is what the request waits for, not
 * the service's answer: every gateway replica routes once the route event arrives, and an answer without
 * {@code wait} support (202 at once) needs nothing more.
 *
 * <p>Bounded: {@code max-on-demand-waits} requests wait at once (more get 503 {@code too_many_model_loads}), each
 * for {@code load-on-demand-timeout} at most (then 504 {@code model_load_timeout}); one call to the service per name
 * at a time, the requests that name it meanwhile wait on the same call (so at most that many calls). The service's
 * 4xx (an unknown model, one that cannot be loaded on demand, a caller it refuses) is a 404 {@code model_not_found}
 * with its message; its 5xx or no answer a 502 {@code model_load_failed}. A name the service refused for what it
 * is (400, 404, 409: unknown, not loadable on demand, no room) is answered so again for {@value #REFUSAL_SECONDS}
 * s without asking (at most {@value #MAX_REFUSALS} names remembered), so that a client repeating a wrong name does
 * not make a call of every request; refusals of the caller (401, 403) are not remembered.
 */
@Singleton
public class OnDemandLoads {

    private static final Logger LOG = Logger.getLogger(OnDemandLoads.class);
    private static final String SERVING = "/api/chat/serving/on-demand";
    /** The most of the service's answer read (its error message); the rest is dropped. */
    private static final int MAX_ANSWER_BYTES = 16 * 1024;
    /** Longest model name sent to the service (a longer one cannot be a served name or a task id). */
    private static final int MAX_NAME_LENGTH = 512;

    static final long REFUSAL_SECONDS = 5;
    static final int MAX_REFUSALS = 256;

    private final boolean enabled;
    private final Vertx vertx;
    private final RouteTable routes;
    private final UpstreamClients clients;
    private final UpstreamTarget chat;
    private final ServiceToken serviceToken;
    private final long timeoutMs;
    private final int maxWaits;
    private final AtomicInteger waits = new AtomicInteger();
    /** The call to the service per model name while one is under way (at most one per waiting request). */
    private final ConcurrentMap<String, Future<Void>> calls = new ConcurrentHashMap<>();
    /** Names the service refused lately, with the refusal and when it stops counting; guarded by itself. */
    private final Map<String, Refusal> refusals = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Refusal> eldest) {
            return size() > MAX_REFUSALS;
        }
    };

    private record Refusal(Failure failure, long until) {}

    public OnDemandLoads(
            @ConfigProperty(name = "studio.chat.load-on-demand", defaultValue = "true") boolean enabled,
            Vertx vertx,
            RouteTable routes,
            UpstreamClients clients,
            GatewayConfig config,
            ServicesConfig services,
            ServiceToken serviceToken) {
        this.enabled = enabled;
        this.serviceToken = serviceToken;
        this.vertx = vertx;
        this.routes = routes;
        this.clients = clients;
        this.chat = UpstreamTarget.parse(services.chatUrl(), null);
        this.timeoutMs = config.loadOnDemandTimeout().toMillis();
        this.maxWaits = config.maxOnDemandWaits();
    }

    /** Whether requests for a model the route does not serve ask for it ({@code studio.chat.load-on-demand}). */
    public boolean enabled() {
        return enabled;
    }

    /** Requests waiting now. */
    public int waiting() {
        return waits.get();
    }

    /**
     * Waits for a route that serves {@code name}, asking the chat-switch service to serve it; {@code done} runs on
     * {@code context} with that route, or with a {@link Failure}, and never before this method returned.
     *
     */
    Wait await(String name, Context context, Handler<AsyncResult<ActiveRoute>> done) {
        Wait wait = new Wait(name, context, done);
        if (name.length() > MAX_NAME_LENGTH) {
            wait.fail(new Failure(
                    GatewayError.MODEL_NOT_FOUND,
                    GatewayError.MODEL_NOT_FOUND.kind(),
                    "The model name is longer than " + MAX_NAME_LENGTH + " characters; no model has such a name.",
                    "unknown_model",
                    0));
            return wait;
        }
        if (waits.incrementAndGet() > maxWaits) {
            waits.decrementAndGet();
            wait.fail(new Failure(
                    GatewayError.TOO_MANY_MODEL_LOADS,
                    GatewayError.TOO_MANY_MODEL_LOADS.kind(),
                    maxWaits + " requests wait for models being loaded already (studio.gateway.max-on-demand-waits);"
                            + " retry shortly",
                    "too_many_model_loads",
                    1));
            return wait;
        }
        Failure refused = refused(name);
        if (refused != null) {
            waits.decrementAndGet();
            wait.fail(refused);
            return wait;
        }
        wait.counted = true;
        wait.start();
        return wait;
    }

    /** The service's recent refusal of {@code name}, or {@code null}. */
    private Failure refused(String name) {
        synchronized (refusals) {
            Refusal refusal = refusals.get(name);
            if (refusal == null) {
                return null;
            }
            if (System.nanoTime() - refusal.until() >= 0) {
                refusals.remove(name);
                return null;
            }
            return refusal.failure();
        }
    }

    private void remember(String name, Failure failure) {
        synchronized (refusals) {
            refusals.put(name, new Refusal(failure, System.nanoTime() + TimeUnit.SECONDS.toNanos(REFUSAL_SECONDS)));
        }
    }

    /** The call to the service for {@code name}: the one under way, or a new one. */
    private Future<Void> call(String name) {
        Promise<Void> promise = Promise.promise();
        Future<Void> running = calls.putIfAbsent(name, promise.future());
        if (running != null) {
            return running;
        }
        byte[] body = body(name);
        RequestOptions options = chat.options(HttpMethod.POST, SERVING).setIdleTimeout(timeoutMs);
        options.putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
        options.putHeader(HttpHeaders.ACCEPT, "application/json");
        serviceToken.authorization().ifPresent(value -> options.putHeader(HttpHeaders.AUTHORIZATION, value));
        clients.services(UpstreamClients.Kind.UPLOAD)
                .request(options)
                .compose(request -> request.send(Buffer.buffer(body)))
                .onComplete(ar -> {
                    if (ar.failed()) {
                        promise.fail(new Failure(
                                GatewayError.MODEL_LOAD_FAILED,
                                ar.cause() instanceof TimeoutException ? ErrorKind.TIMEOUT : ErrorKind.UPSTREAM_FAILED,
                                "The model '" + name + "' is not served, and the chat-switch service at " + chat
                                        + " could not be asked to load it: " + Relay.describe(ar.cause()),
                                "model_load_failed",
                                0));
                    } else {
                        answered(name, ar.result(), promise);
                    }
                });
        promise.future().onComplete(ar -> {
            if (ar.failed()) {
                calls.remove(name, promise.future());
            } else {
                // Loaded or loading: no second call for the name until a route serves it (or the wait runs out).
                RouteTable.ModelWait served = routes.awaitModel(name);
                long timer = vertx.setTimer(timeoutMs, id -> {
                    routes.cancel(served);
                    calls.remove(name, promise.future());
                });
                served.route().thenRun(() -> {
                    vertx.cancelTimer(timer);
                    calls.remove(name, promise.future());
                });
            }
        });
        return promise.future();
    }

    /** The service's answer: 2xx, the model is served or being loaded; anything else, why not. */
    private void answered(String name, HttpClientResponse response, Promise<Void> promise) {
        int status = response.statusCode();
        Buffer answer = Buffer.buffer();
        response.handler(chunk -> {
            if (answer.length() < MAX_ANSWER_BYTES) {
                answer.appendBuffer(
                        chunk.length() <= MAX_ANSWER_BYTES - answer.length()
                                ? chunk
                                : chunk.slice(0, MAX_ANSWER_BYTES - answer.length()));
            }
        });
        response.exceptionHandler(e -> promise.tryFail(new Failure(
                GatewayError.MODEL_LOAD_FAILED,
                ErrorKind.UPSTREAM_FAILED,
                "The model '" + name + "' is not served, and the chat-switch service's answer broke off: "
                        + Relay.describe(e),
                "model_load_failed",
                0)));
        response.endHandler(v -> {
            if (status >= 200 && status < 300) {
                promise.tryComplete();
                return;
            }
            String why = message(answer);
            if (status >= 400 && status < 500) {
                Failure refusal = new Failure(
                        GatewayError.MODEL_NOT_FOUND,
                        GatewayError.MODEL_NOT_FOUND.kind(),
                        "The model '" + name + "' is not served and cannot be loaded on demand: " + why,
                        "unknown_model",
                        0);
                if (status == 400 || status == 404 || status == 409) {
                    remember(name, refusal);
                }
                promise.tryFail(refusal);
            } else {
                LOG.warnf("load on demand of '%s': the chat-switch service answered %d: %s", name, status, why);
                promise.tryFail(new Failure(
                        GatewayError.MODEL_LOAD_FAILED,
                        ErrorKind.UPSTREAM_FAILED,
                        "The model '" + name + "' is not served, and the chat-switch service failed to load it ("
                                + status + "): " + why,
                        "model_load_failed",
                        0));
            }
        });
    }

    /** The message and code of a studio error answer, or a fixed text when it is not one. */
    private static String message(Buffer answer) {
        try {
            JsonNode error = StudioJson.mapper().readTree(answer.getBytes()).path("error");
            String message = error.path("message").asText("");
            String code = error.path("code").asText("");
            if (!message.isBlank()) {
                return code.isBlank() ? message : message + " (" + code + ")";
            }
        } catch (IOException | RuntimeException e) {
            // Not the studio's error shape: nothing of it is passed on.
        }
        return "no reason given";
    }

    /** The request body of {@code POST /api/chat/serving/on-demand}. */
    private static byte[] body(String name) {
        try {
            return StudioJson.mapper().writeValueAsBytes(Map.of("model", name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One request's wait: ends once, with a route or a failure, or when the request gives up ({@link #cancel}). */
    final class Wait {

        private final String name;
        private final Context context;
        private final Handler<AsyncResult<ActiveRoute>> done;
        private final AtomicBoolean over = new AtomicBoolean();
        /** Whether it holds one of the {@code max-on-demand-waits} places. */
        private boolean counted;

        private RouteTable.ModelWait routeWait;
        private long timer = -1;

        Wait(String name, Context context, Handler<AsyncResult<ActiveRoute>> done) {
            this.name = name;
            this.context = context;
            this.done = done;
        }

        private void start() {
            routeWait = routes.awaitModel(name);
            timer = vertx.setTimer(
                    timeoutMs,
                    id -> fail(new Failure(
                            GatewayError.MODEL_LOAD_TIMEOUT,
                            GatewayError.MODEL_LOAD_TIMEOUT.kind(),
                            "The model '" + name + "' is being loaded on demand and was not served within " + timeoutMs
                                    + " ms (studio.gateway.load-on-demand-timeout); retry later",
                            "model_load_timeout",
                            5)));
            routeWait.route().thenAccept(route -> end(Future.succeededFuture(route)));
            call(name).onFailure(this::fail);
        }

        private void fail(Throwable failure) {
            end(Future.failedFuture(failure));
        }

        private void end(AsyncResult<ActiveRoute> result) {
            if (!over.compareAndSet(false, true)) {
                return;
            }
            release();
            context.runOnContext(v -> done.handle(result));
        }

        /** The request went away: its place is free and nothing more happens. */
        void cancel() {
            if (over.compareAndSet(false, true)) {
                release();
            }
        }

        private void release() {
            if (routeWait != null) {
                routes.cancel(routeWait);
            }
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
            if (counted) {
                waits.decrementAndGet();
            }
        }
    }

    /** Why a load on demand did not lead to a route: the error the client gets. */
    static final class Failure extends Exception {

        private final GatewayError code;
        private final ErrorKind kind;
        private final String reason;
        private final long retryAfterSeconds;

        Failure(GatewayError code, ErrorKind kind, String message, String reason, long retryAfterSeconds) {
            super(message, null, false, false);
            this.code = code;
            this.kind = kind;
            this.reason = reason;
            this.retryAfterSeconds = retryAfterSeconds;
        }

        /** The failure of a wait (anything unexpected is a failed load). */
        static Failure of(Throwable cause) {
            return cause instanceof Failure failure
                    ? failure
                    : new Failure(
                            GatewayError.MODEL_LOAD_FAILED,
                            ErrorKind.UPSTREAM_FAILED,
                            "The model could not be loaded on demand: " + Relay.describe(cause),
                            "model_load_failed",
                            0);
        }

        GatewayError code() {
            return code;
        }

        ErrorKind kind() {
            return kind;
        }

        /** The {@code studio_gateway_rejected_total} reason. */
        String reason() {
            return reason;
        }

        /** The {@code Retry-After} to send, 0 for none. */
        long retryAfterSeconds() {
            return retryAfterSeconds;
        }
    }
}
