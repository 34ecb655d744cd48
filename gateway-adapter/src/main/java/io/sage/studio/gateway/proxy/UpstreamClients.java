package io.sage.studio.gateway.proxy;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

import io.sage.studio.gateway.config.GatewayConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;

/**
 * The HTTP clients of the proxy. Model backends get one client per event loop: its pooled connections live on
 * the loop that serves the incoming request, so a proxied exchange never hops threads (a shared Vert.x pool
 * hands out connections of any loop). Services behind {@code /api} share one client.
 */
@Singleton
public class UpstreamClients {

    private final Vertx vertx;
    private final HttpClientOptions backendOptions;
    private final PoolOptions backendPool;
    private final ThreadLocal<HttpClient> backendClient = new ThreadLocal<>();
    private final Queue<HttpClient> created = new ConcurrentLinkedQueue<>();
    private final HttpClient services;

    public UpstreamClients(Vertx vertx, GatewayConfig gateway) {
        this.vertx = vertx;
        int connectTimeoutMs = (int) Math.min(Integer.MAX_VALUE, gateway.connectTimeout().toMillis());
        this.backendOptions = new HttpClientOptions()
                .setName("studio-backends")
                .setKeepAlive(true)
                .setKeepAliveTimeout((int) Math.max(1, gateway.upstreamKeepAliveTimeout().toSeconds()))
                .setTcpNoDelay(true)
                .setDecompressionSupported(false)
                .setForceSni(true)
                .setVerifyHost(true)
                .setConnectTimeout(connectTimeoutMs);
        this.backendPool = new PoolOptions()
                .setHttp1MaxSize(gateway.maxConcurrentRequests())
                .setMaxWaitQueueSize(-1);
        this.services = vertx.createHttpClient(new HttpClientOptions()
                .setName("studio-services")
                .setKeepAlive(true)
                .setTcpNoDelay(true)
                .setDecompressionSupported(false)
                .setConnectTimeout(connectTimeoutMs),
                new PoolOptions().setHttp1MaxSize(gateway.servicePoolSize()).setMaxWaitQueueSize(-1));
        created.add(services);
    }

    /** The model-backend client of the calling event loop. */
    public HttpClient backends() {
        HttpClient client = backendClient.get();
        if (client == null) {
            client = vertx.createHttpClient(backendOptions, backendPool);
            backendClient.set(client);
            created.add(client);
        }
        return client;
    }

    /** The client for the services behind {@code /api}. */
    public HttpClient services() {
        return services;
    }

    @PreDestroy
    void close() {
        for (HttpClient client : created) {
            client.close();
        }
    }
}
