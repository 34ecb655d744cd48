package io.sage.studio.gateway.config;

import java.time.Duration;
import java.util.Optional;

import io.quarkus.runtime.configuration.MemorySize;
import io.sage.studio.common.config.NotBlank;
import io.sage.studio.common.config.Range;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Settings of the gateway-adapter's edge and proxy ({@code studio.gateway.*}); every key can be set by its
 * environment variable ({@code STUDIO_GATEWAY_MODEL_ALIAS}, …). The service URLs are in {@link ServicesConfig}, the
 * cloud API key in {@link CloudConfig}.
 */
@ConfigMapping(prefix = "studio.gateway")
public interface GatewayConfig {

    /** A model name every client may use for "whatever model is active now". */
    @WithDefault("sage-chat")
    @NotBlank
    String modelAlias();

    /** Longest wait for a byte from a model backend (the first token included) before the request fails. */
    @WithDefault("120s")
    Duration upstreamTimeout();

    /**
     * Longest wait for the next piece of a request body once its head has arrived ({@code /v1} and {@code /api}):
     * a body that stalls longer is answered 408 {@code request_timeout} and its connection closed.
     */
    @WithDefault("10s")
    Duration bodyReadTimeout();

    /** Longest wait for a connection to a model backend or a service. */
    @WithDefault("5s")
    Duration connectTimeout();

    /**
     * Idle upstream connections are closed after this; keep it below the backend's own keep-alive timeout
     * (vLLM/uvicorn: 5 s) so that a request never lands on a connection the backend is closing.
     */
    @WithDefault("4s")
    Duration upstreamKeepAliveTimeout();

    /**
     * The HTTP client of {@code /v1} requests to model backends: {@code netty} (hand-written on Netty, the cheapest
     * per request) or {@code vertx} (Vert.x' HTTP client, the reference implementation it is tested against).
     */
    @WithDefault("netty")
    BackendClientKind backendClient();

    /** Upper bound of {@code /v1} requests in progress at once; more are answered 429 at once. */
    @WithDefault("256")
    @Range(min = 1, max = 100_000)
    int maxConcurrentRequests();

    /** Largest {@code /v1} request body; larger ones are answered 413. */
    @WithDefault("16M")
    MemorySize maxRequestSize();

    /**
     * Memory for {@code /v1} request bodies, all requests together: a body is read whole (as its bytes arrive)
     * before the request takes a slot, and holds its bytes until the request ends. A body that would go beyond it
     * is answered 503 {@code request_buffer_full}.
     */
    @WithDefault("128M")
    MemorySize maxBufferedRequestBytes();

    /** Largest request body proxied to a service under {@code /api} (dataset uploads); larger ones get 413. */
    @WithDefault("2G")
    MemorySize maxUploadSize();

    /** {@code Retry-After} sent with a 503 when the route event does not say how long a switch takes. */
    @WithDefault("5s")
    Duration retryAfter();

    /** Connections per service for {@code /api} calls without a body (uploads and streams have their own). */
    @WithDefault("256")
    @Range(min = 1, max = 100_000)
    int servicePoolSize();

    /**
     * {@code /api} calls (and uploads, in their own queue) that may wait per service while all their connections
     * are busy; one more is answered 503 {@code service_busy} at once.
     */
    @WithDefault("256")
    @Range(min = 0, max = 100_000)
    int serviceWaitQueueSize();

    /**
     * {@code /api} requests with a body (dataset uploads, JSON posts) in progress at once per service, on connections
     * of their own, so that slow uploads never take the connections of other calls; more wait in the queue of
     * {@code service-wait-queue-size}, and beyond it are answered 503 {@code service_busy}.
     */
    @WithDefault("64")
    @Range(min = 1, max = 100_000)
    int maxServiceUploads();

    /**
     * Long-lived {@code /api} streams (server-sent events: {@code Accept: text/event-stream}, {@code …/stream},
     * {@code ?follow=true}) open at once per service, each on a connection of its own outside the ordinary pool;
     * one more is answered 503 {@code too_many_streams} at once.
     */
    @WithDefault("256")
    @Range(min = 1, max = 100_000)
    int maxServiceStreams();

    /**
     * A second port that serves only the OpenAI-compatible API ({@code /v1/*}, through the same handlers as the main
     * port), so that the seed's stable local URL {@code http://localhost:8001/v1} keeps answering whichever engine
     * port serves behind ({@code ./sage studio start} sets it from {@code SAGE_STUDIO_LLM_PORT}, default 8001);
     * bound on {@code quarkus.http.host}; {@code 0} picks a free port; unset, no second listener.
     */
    @Range(min = 0, max = 65535)
    Optional<Integer> llmPort();

    /**
     * Longest wait of a request for a model loaded on demand ({@code studio.chat.load-on-demand}): the chat-switch
     * service's answer and the route that names the model; then 504 {@code model_load_timeout}.
     */
    @WithDefault("120s")
    Duration loadOnDemandTimeout();

    /** Requests that may wait for models loaded on demand at once, all models together; more get 503. */
    @WithDefault("64")
    @Range(min = 1, max = 10_000)
    int maxOnDemandWaits();

    /**
     * How often this gateway's traffic figures go to {@code studio.chat.traffic} when they changed (at least every
     * 30 s when they did not): what rollouts and the serving set read.
     */
    @WithDefault("1s")
    Duration trafficInterval();
}
