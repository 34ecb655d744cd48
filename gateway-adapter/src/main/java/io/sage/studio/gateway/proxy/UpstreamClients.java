package io.sage.studio.gateway.proxy;

import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

import io.sage.studio.gateway.config.GatewayConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;

/**
 * The HTTP clients for the services behind {@code /api}, one per kind of request so that long-lived ones never
 * starve the others, each with a bounded pool per service and a bounded wait queue: calls without a body
 * ({@code service-pool-size}), requests with a body ({@code max-service-uploads}: a slow upload holds its connection
 * while it lasts) and server-sent-event streams ({@code max-service-streams}, no waiting: a stream holds its
 * connection for as long as the client stays). Model backends ({@code /v1}) have their own connections:
 * {@link BackendConnections}.
 */
@Singleton
public class UpstreamClients {

    /** What a request to a service is, as far as its connection is concerned. */
    public enum Kind {
        /** No body, a short answer. */
        CALL,
        /** A body to stream to the service (dataset uploads, JSON posts). */
        UPLOAD,
        /** A server-sent-event stream. */
        STREAM
    }

    private final HttpClient calls;
    private final HttpClient uploads;
    private final HttpClient streams;

    public UpstreamClients(Vertx vertx, GatewayConfig gateway) {
        int connectTimeoutMs =
                (int) Math.min(Integer.MAX_VALUE, gateway.connectTimeout().toMillis());
        this.calls = vertx.createHttpClient(
                options("studio-services", connectTimeoutMs),
                new PoolOptions()
                        .setHttp1MaxSize(gateway.servicePoolSize())
                        .setMaxWaitQueueSize(gateway.serviceWaitQueueSize()));
        this.uploads = vertx.createHttpClient(
                options("studio-service-uploads", connectTimeoutMs),
                new PoolOptions()
                        .setHttp1MaxSize(gateway.maxServiceUploads())
                        .setMaxWaitQueueSize(gateway.serviceWaitQueueSize()));
        this.streams = vertx.createHttpClient(
                options("studio-service-streams", connectTimeoutMs),
                new PoolOptions().setHttp1MaxSize(gateway.maxServiceStreams()).setMaxWaitQueueSize(0));
    }

    private static HttpClientOptions options(String name, int connectTimeoutMs) {
        return new HttpClientOptions()
                .setName(name)
                .setKeepAlive(true)
                .setTcpNoDelay(true)
                .setDecompressionSupported(false)
                .setConnectTimeout(connectTimeoutMs);
    }

    /** The client for requests of {@code kind}. */
    public HttpClient services(Kind kind) {
        return switch (kind) {
            case CALL -> calls;
            case UPLOAD -> uploads;
            case STREAM -> streams;
        };
    }

    @PreDestroy
    void close() {
        calls.close();
        uploads.close();
        streams.close();
    }
}
