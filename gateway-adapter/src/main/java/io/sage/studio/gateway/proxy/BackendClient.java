package io.sage.studio.gateway.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.vertx.core.AsyncResult;
import io.vertx.core.Handler;

/**
 * HTTP/1.1 exchanges with model backends for the {@code /v1} edge: a connection is leased for one exchange, carries
 * one whole request and its answer, and is released when the exchange is over. Every call and every callback
 * happens on the event loop of the exchange.
 *
 * <p>Two implementations, chosen by {@code studio.gateway.backend-client}: {@link BackendConnections} (the default,
 * Netty directly: about a microsecond of CPU less per request, bench/gateway/README.md) and
 * {@link VertxBackendClient} (Vert.x' {@code HttpClient}: the reference the hand-written one is tested against, the
 * same behaviour suite running on both).
 */
public interface BackendClient extends AutoCloseable {

    /**
     * Leases a connection to {@code target} for the event loop {@code loop}, the calling thread: an idle one that
     * carried requests before, or a new one when there is none or {@code fresh} is asked for. {@code handler} runs
     * on the event loop, with a failure naming the problem when no connection could be made.
     *
     * @param now {@link System#nanoTime()} as the caller read it, to tell expired idle connections
     * @throws IllegalStateException when not called on {@code loop}
     */
    void lease(EventLoop loop, UpstreamTarget target, boolean fresh, long now, Handler<AsyncResult<Lease>> handler);

    /** Closes the idle connections; leased ones close when they are released. */
    @Override
    void close();

    /** One connection, held by one exchange until {@link #release()}. */
    interface Lease {

        /** Whether the connection carried requests before this lease (a new one has never carried a request). */
        boolean reused();

        /** Sends {@code request}, whole; the answer comes to {@code listener}. */
        void send(FullHttpRequest request, Listener listener);

        /** Stops reading the answer (the client is slower than the backend) until {@link #resumeReading()}. */
        void pauseReading();

        void resumeReading();

        /**
         * Ends the lease: the connection is kept for the next exchange when the request and the answer both ended
         * and the backend keeps it alive (or nothing was sent on it), closed otherwise — which aborts the backend's
         * work on an answer still coming. Calling it again does nothing.
         */
        void release();
    }

    /** What an exchange hears from its connection, on the event loop. */
    interface Listener {

        /** The answer's status line and headers (interim {@code 1xx} answers are skipped). */
        void head(HttpResponse head);

        /**
         * A piece of the answer's body; {@code content} is only valid during the call. {@code last} marks the end
         * of the answer (its content may be empty).
         */
        void content(ByteBuf content, boolean last);

        /** The connection broke or the answer was malformed before the answer ended; the connection is unusable. */
        void failed(Throwable cause);

        /**
         * The connection can take more request body again ({@link BackendConnection#write} with the Netty client
         * only; whole requests never wait).
         */
        default void drained() {}
    }
}
