package io.sage.studio.gateway.proxy;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.sage.studio.gateway.config.GatewayConfig;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.TrustOptions;

/**
 * The {@link BackendClient} on Vert.x' own {@code HttpClient} ({@code studio.gateway.backend-client=vertx}): the
 * reference implementation that {@link BackendConnections} is tested against, and a fallback should the hand-written
 * client ever misbehave. Vert.x pools the connections (per endpoint, shared by the event loops; callbacks run on the
 * caller's context), closes them once idle for {@code upstream-keep-alive-timeout} (rounded up to whole seconds)
 * and verifies {@code https} backends' certificates and host names, SNI included.
 *
 * <p>What differs from the Netty client: a lease is a request Vert.x has a connection for, so {@code fresh} cannot
 * force a new connection (Vert.x drops a connection from its pool as soon as it closes, so the retry after a dropped
 * pooled connection lands on a live or a new one), and it costs about a microsecond of CPU more per request
 * (bench/gateway/README.md).
 */
public class VertxBackendClient implements BackendClient {

    private static final DefaultHttpHeadersFactory HEADERS =
            DefaultHttpHeadersFactory.headersFactory().withValidation(false);

    private final HttpClient client;
    /** Connections that carried a request (to tell a reused connection from a new one); removed as they close. */
    private final Set<HttpConnection> used = ConcurrentHashMap.newKeySet();

    public VertxBackendClient(Vertx vertx, GatewayConfig config) {
        this(vertx, config.connectTimeout(), config.upstreamKeepAliveTimeout(), config.maxConcurrentRequests(), null);
    }

    /**
     * @param poolSize the most connections per backend endpoint
     * @param trust the trust store for {@code https} backends; {@code null} for the JVM's
     */
    public VertxBackendClient(
            Vertx vertx, Duration connectTimeout, Duration keepAlive, int poolSize, TrustOptions trust) {
        HttpClientOptions options = new HttpClientOptions()
                .setName("studio-model-backends")
                .setKeepAlive(true)
                .setKeepAliveTimeout((int) Math.max(1, (keepAlive.toMillis() + 999) / 1000))
                .setTcpNoDelay(true)
                .setDecompressionSupported(false)
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .setVerifyHost(true)
                .setForceSni(true)
                .setMaxInitialLineLength(4096)
                .setMaxHeaderSize(16 * 1024)
                .setMaxChunkSize(64 * 1024);
        if (trust != null) {
            options.setTrustOptions(trust);
        }
        PoolOptions pool = new PoolOptions().setHttp1MaxSize(poolSize).setCleanerPeriod((int)
                Math.max(100, Math.min(1000, keepAlive.toMillis() / 2)));
        this.client = vertx.createHttpClient(options, pool);
    }

    @Override
    public void lease(
            EventLoop loop, UpstreamTarget target, boolean fresh, long now, Handler<AsyncResult<Lease>> handler) {
        if (!loop.inEventLoop()) {
            throw new IllegalStateException("backend connections are leased on their event loop");
        }
        RequestOptions options = new RequestOptions()
                .setHost(target.connectHost())
                .setPort(target.port())
                .setSsl(target.ssl())
                .setMethod(HttpMethod.GET)
                .setURI("/");
        client.request(options).onComplete(ar -> {
            if (ar.failed()) {
                handler.handle(Future.failedFuture(ar.cause()));
                return;
            }
            HttpClientRequest request = ar.result();
            HttpConnection connection = request.connection();
            boolean reused = !used.add(connection);
            if (!reused) {
                connection.closeHandler(v -> used.remove(connection));
            }
            handler.handle(Future.succeededFuture(new VertxLease(request, reused)));
        });
    }

    @Override
    public void close() {
        client.close();
    }

    /** One request on a connection of Vert.x' pool. */
    private static final class VertxLease implements Lease {

        private final HttpClientRequest request;
        private final boolean reused;
        private Listener listener;
        private HttpClientResponse response;
        private boolean sent;
        private boolean ended;
        private boolean released;

        VertxLease(HttpClientRequest request, boolean reused) {
            this.request = request;
            this.reused = reused;
        }

        @Override
        public boolean reused() {
            return reused;
        }

        @Override
        public void send(FullHttpRequest head, Listener listener) {
            this.listener = listener;
            sent = true;
            request.setMethod(HttpMethod.valueOf(head.method().name()));
            request.setURI(head.uri());
            for (Map.Entry<String, String> header : head.headers()) {
                // Vert.x keeps a Host header it is given, and writes the length of the body it sends.
                if (!HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(header.getKey())) {
                    request.headers().add(header.getKey(), header.getValue());
                }
            }
            request.exceptionHandler(this::fail);
            request.response().onComplete(ar -> {
                if (ar.failed()) {
                    fail(ar.cause());
                } else {
                    answer(ar.result());
                }
            });
            int length = head.content().readableBytes();
            boolean bodyless = length == 0
                    && (head.method().equals(io.netty.handler.codec.http.HttpMethod.GET)
                            || head.method().equals(io.netty.handler.codec.http.HttpMethod.HEAD));
            if (bodyless) {
                request.end();
            } else {
                request.end(Buffer.buffer(ByteBufUtil.getBytes(head.content())));
            }
        }

        private void answer(HttpClientResponse answer) {
            if (listener == null) {
                return;
            }
            response = answer;
            HttpHeaders headers = HEADERS.newHeaders();
            answer.headers().forEach(header -> headers.add(header.getKey(), header.getValue()));
            HttpResponseStatus status = HttpResponseStatus.valueOf(answer.statusCode(), answer.statusMessage());
            answer.exceptionHandler(this::fail);
            answer.handler(chunk -> {
                if (listener != null) {
                    listener.content(chunk.getByteBuf(), false);
                }
            });
            answer.endHandler(v -> {
                ended = true;
                if (listener != null) {
                    listener.content(Unpooled.EMPTY_BUFFER, true);
                }
            });
            listener.head(new DefaultHttpResponse(HttpVersion.HTTP_1_1, status, headers));
        }

        private void fail(Throwable cause) {
            Listener current = listener;
            listener = null;
            if (current != null && !ended) {
                current.failed(cause);
            }
        }

        @Override
        public void pauseReading() {
            if (response != null) {
                response.pause();
            }
        }

        @Override
        public void resumeReading() {
            if (response != null) {
                response.resume();
            }
        }

        @Override
        public void release() {
            if (released) {
                return;
            }
            released = true;
            listener = null;
            if (!sent) {
                // Nothing went out: the request Vert.x holds a connection for is dropped, the connection kept.
                request.reset(0);
            } else if (!ended) {
                // A half-read answer: resetting an HTTP/1.1 request closes its connection, which stops the backend.
                request.reset(0);
            } else if (response != null) {
                response.resume();
            }
        }
    }
}
