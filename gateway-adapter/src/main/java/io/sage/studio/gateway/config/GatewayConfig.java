package io.sage.studio.gateway.config;

import java.time.Duration;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;

import io.quarkus.runtime.configuration.MemorySize;
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

    /** Longest wait for a connection to a model backend or a service. */
    @WithDefault("5s")
    Duration connectTimeout();

    /**
     * Idle upstream connections are closed after this; keep it below the backend's own keep-alive timeout
     * (vLLM/uvicorn: 5 s) so that a request never lands on a connection the backend is closing.
     */
    @WithDefault("4s")
    Duration upstreamKeepAliveTimeout();

    /** Upper bound of {@code /v1} requests in progress at once; more are answered 429 at once. */
    @WithDefault("256")
    @Min(1)
    @Max(100_000)
    int maxConcurrentRequests();

    /** Largest {@code /v1} request body; larger ones are answered 413. */
    @WithDefault("16M")
    MemorySize maxRequestSize();

    /** Largest request body proxied to a service under {@code /api} (dataset uploads); larger ones get 413. */
    @WithDefault("512M")
    MemorySize maxUploadSize();

    /** {@code Retry-After} sent with a 503 when the route event does not say how long a switch takes. */
    @WithDefault("5s")
    Duration retryAfter();

    /** Connections kept per service (each open SSE stream through {@code /api} holds one). */
    @WithDefault("256")
    @Min(1)
    @Max(100_000)
    int servicePoolSize();
}
