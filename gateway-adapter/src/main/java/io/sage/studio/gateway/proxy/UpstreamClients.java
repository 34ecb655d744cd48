package io.sage.studio.gateway.proxy;

import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

import io.sage.studio.gateway.config.GatewayConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;

/**
 * The HTTP client for the services behind {@code /api}: one Vert.x client with {@code service-pool-size} pooled
 * connections per service. Model backends ({@code /v1}) have their own connections: {@link BackendConnections}.
 */
@Singleton
public class UpstreamClients {

    private final HttpClient services;

    public UpstreamClients(Vertx vertx, GatewayConfig gateway) {
        int connectTimeoutMs = (int) Math.min(Integer.MAX_VALUE, gateway.connectTimeout().toMillis());
        this.services = vertx.createHttpClient(new HttpClientOptions()
                .setName("studio-services")
                .setKeepAlive(true)
                .setTcpNoDelay(true)
                .setDecompressionSupported(false)
                .setConnectTimeout(connectTimeoutMs),
                new PoolOptions().setHttp1MaxSize(gateway.servicePoolSize()).setMaxWaitQueueSize(-1));
    }

    /** The client for the services behind {@code /api}. */
    public HttpClient services() {
        return services;
    }

    @PreDestroy
    void close() {
        services.close();
    }
}
