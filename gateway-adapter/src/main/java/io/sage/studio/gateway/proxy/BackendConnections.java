package io.sage.studio.gateway.proxy;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.ScheduledFuture;
import io.sage.studio.gateway.config.GatewayConfig;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;

/**
 * HTTP/1.1 connections to model backends, on Netty directly: the {@code /v1} hot path costs about a microsecond of
 * CPU less per request than through a Vert.x {@code HttpClient} (bench/gateway/README.md).
 *
 * <p>Each event loop keeps its own pool per backend endpoint (scheme, host, port), so an exchange's client and
 * backend connections share one thread and a pool needs no lock. Pooled connections are reused most-recent first
 * and closed once idle for {@code upstream-keep-alive-timeout} (4 s, below uvicorn's 5 s keep-alive, so a request
 * does not land on a connection the backend is closing); a sweep per pool closes the ones nobody asks for. New
 * connections resolve names with Vert.x's non-blocking resolver, give up after {@code connect-timeout}, and for
 * {@code https} verify the backend's certificate and host name against the JVM's trust store (SNI included).
 *
 * <p>The default {@link BackendClient} ({@code studio.gateway.backend-client=netty}); {@link VertxBackendClient} is the
 * reference it is tested against.
 */
public class BackendConnections implements BackendClient {

    /** Codec limits: a status line and headers of at most 4 KiB and 16 KiB, body pieces of up to 64 KiB. */
    private static final int MAX_INITIAL_LINE = 4096;

    private static final int MAX_HEADERS = 16 * 1024;
    private static final int MAX_CHUNK = 64 * 1024;

    private final VertxInternal vertx;
    private final int connectTimeoutMs;
    private final long keepAliveNanos;
    private final long sweepMillis;
    private final SslContext configuredTls;
    private volatile SslContext tls;
    private final FastThreadLocal<Map<String, Pool>> pools = new FastThreadLocal<>() {
        @Override
        protected Map<String, Pool> initialValue() {
            return new HashMap<>();
        }
    };
    private final Set<Pool> allPools = ConcurrentHashMap.newKeySet();

    public BackendConnections(Vertx vertx, GatewayConfig config) {
        this(vertx, config.connectTimeout(), config.upstreamKeepAliveTimeout(), null);
    }

    /**
     * @param tls the TLS client context for {@code https} backends; {@code null} for one that trusts the JVM's
     *        trust store
     */
    public BackendConnections(Vertx vertx, Duration connectTimeout, Duration keepAlive, SslContext tls) {
        this.vertx = (VertxInternal) vertx;
        this.connectTimeoutMs = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
        this.keepAliveNanos = keepAlive.toNanos();
        this.sweepMillis = Math.max(100, keepAlive.toMillis() / 2);
        this.configuredTls = tls;
    }

    /** {@inheritDoc} The idle connection is the most recently used one. */
    @Override
    public void lease(
            EventLoop loop, UpstreamTarget target, boolean fresh, long now, Handler<AsyncResult<Lease>> handler) {
        if (!loop.inEventLoop()) {
            throw new IllegalStateException("backend connections are leased on their event loop");
        }
        Pool pool = pools.get().get(target.endpoint());
        if (pool == null) {
            pool = new Pool(target.endpoint(), loop);
            pools.get().put(target.endpoint(), pool);
            allPools.add(pool);
        } else if (!fresh) {
            BackendConnection idle = pool.poll(now);
            if (idle != null) {
                handler.handle(Future.<Lease>succeededFuture(idle));
                return;
            }
        }
        connect(pool, target, handler);
    }

    private void connect(Pool pool, UpstreamTarget target, Handler<AsyncResult<Lease>> handler) {
        SslContext tlsContext;
        try {
            tlsContext = target.ssl() ? tls() : null;
        } catch (IllegalStateException e) { // the JVM's trust store is unusable
            handler.handle(Future.failedFuture(e));
            return;
        }
        BackendConnection connection = new BackendConnection(pool);
        Bootstrap bootstrap = new Bootstrap()
                .group(pool.loop)
                .channelFactory(vertx.transport().channelFactory(false))
                .resolver(vertx.nettyAddressResolverGroup())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMs)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        if (tlsContext != null) {
                            channel.pipeline().addLast("tls", tlsHandler(tlsContext, channel, target));
                        }
                        channel.pipeline()
                                .addLast(
                                        "http",
                                        new HttpClientCodec(MAX_INITIAL_LINE, MAX_HEADERS, MAX_CHUNK, false, false));
                        channel.pipeline().addLast("exchange", connection);
                    }
                });
        bootstrap.connect(target.connectHost(), target.port()).addListener((ChannelFutureListener) connected -> {
            if (!connected.isSuccess()) {
                handler.handle(Future.failedFuture(connected.cause()));
            } else if (!target.ssl()) {
                handler.handle(Future.<Lease>succeededFuture(connection.lease(false)));
            } else {
                connected
                        .channel()
                        .pipeline()
                        .get(SslHandler.class)
                        .handshakeFuture()
                        .addListener(handshake -> {
                            if (handshake.isSuccess()) {
                                handler.handle(Future.<Lease>succeededFuture(connection.lease(false)));
                            } else {
                                connected.channel().close();
                                handler.handle(Future.failedFuture(new SSLException(
                                        "TLS handshake failed: " + Relay.describe(handshake.cause()),
                                        handshake.cause())));
                            }
                        });
            }
        });
    }

    private SslHandler tlsHandler(SslContext context, Channel channel, UpstreamTarget target) {
        SslHandler handler = context.newHandler(channel.alloc(), target.connectHost(), target.port());
        SSLEngine engine = handler.engine();
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        String host = target.connectHost();
        if (!NetUtil.isValidIpV4Address(host) && !NetUtil.isValidIpV6Address(host)) {
            // The JDK leaves SNI out for a name without a dot ("localhost", a cluster service name): always send it.
            parameters.setServerNames(List.of(new SNIHostName(host)));
        }
        engine.setSSLParameters(parameters);
        handler.setHandshakeTimeoutMillis(connectTimeoutMs);
        return handler;
    }

    private SslContext tls() {
        SslContext context = tls;
        if (context == null) {
            if (configuredTls != null) {
                context = configuredTls;
            } else {
                try {
                    context = SslContextBuilder.forClient()
                            .sslProvider(SslProvider.JDK)
                            .build();
                } catch (SSLException e) {
                    throw new IllegalStateException("cannot set up TLS for https backends: " + e.getMessage(), e);
                }
            }
            tls = context;
        }
        return context;
    }

    @Override
    public void close() {
        for (Pool pool : allPools) {
            try {
                pool.loop.execute(pool::closeAll);
            } catch (RejectedExecutionException e) {
                // the event loop is gone, and its connections with it
            }
        }
    }

    /** The idle connections of one event loop to one backend endpoint; used on that loop only. */
    final class Pool {

        private final String endpoint;
        private final EventLoop loop;
        /** Most recently used first. */
        private final ArrayDeque<BackendConnection> idle = new ArrayDeque<>();

        private ScheduledFuture<?> sweep;

        Pool(String endpoint, EventLoop loop) {
            this.endpoint = endpoint;
            this.loop = loop;
        }

        BackendConnection poll(long now) {
            BackendConnection connection;
            while ((connection = idle.pollFirst()) != null) {
                if (connection.isActive() && now - connection.idleSince < keepAliveNanos) {
                    return connection.lease(true);
                }
                connection.close();
            }
            return null;
        }

        void giveBack(BackendConnection connection) {
            connection.idleSince = System.nanoTime();
            idle.addFirst(connection);
            if (sweep == null) {
                sweep = loop.scheduleAtFixedRate(this::sweep, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
            }
        }

        /** Closes the connections idle for longer than the keep-alive timeout (the oldest are last). */
        private void sweep() {
            long now = System.nanoTime();
            BackendConnection oldest;
            while ((oldest = idle.peekLast()) != null
                    && (!oldest.isActive() || now - oldest.idleSince >= keepAliveNanos)) {
                idle.pollLast().close();
            }
            if (idle.isEmpty()) {
                sweep.cancel(false);
                sweep = null;
            }
        }

        void closeAll() {
            BackendConnection connection;
            while ((connection = idle.pollFirst()) != null) {
                connection.close();
            }
        }

        @Override
        public String toString() {
            return endpoint + " (" + idle.size() + " idle)";
        }
    }
}
