package io.sage.studio.gateway.proxy;

import java.io.IOException;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * One HTTP/1.1 connection to a model backend, leased from {@link BackendConnections} for one exchange at a time.
 * It is the last handler of its Netty pipeline and lives on the event loop of the exchange that leased it, so every
 * call and every callback happens on that one thread.
 *
 * <p>An exchange {@linkplain #send sends} a request head (with its whole body, or followed by {@link #write} and
 * {@link #end}), receives the answer through its {@link BackendClient.Listener}, and {@linkplain #release()
 * releases} the connection when it is done, whatever happened: the connection goes back to its pool only when the request and
 * the answer both ended cleanly and the backend keeps the connection alive; otherwise it is closed.
 */
public final class BackendConnection extends ChannelInboundHandlerAdapter implements BackendClient.Lease {

    private final BackendConnections.Pool pool;
    private Channel channel;
    private BackendClient.Listener listener;
    /** The current lease came out of the pool (the connection carried requests before). */
    private boolean reused;
    /** A request was sent on the current lease. */
    private boolean used;

    private boolean requestEnded;
    private boolean responseEnded;
    private boolean keepAlive;
    /** Skipping an interim (1xx) answer up to its end. */
    private boolean interim;

    private boolean released;
    /** When the connection last went back to its pool ({@link System#nanoTime()}). */
    long idleSince;

    BackendConnection(BackendConnections.Pool pool) {
        this.pool = pool;
    }

    /** Starts a lease: the connection is fresh, or {@code reused} out of the pool. */
    BackendConnection lease(boolean reused) {
        this.reused = reused;
        used = false;
        requestEnded = false;
        responseEnded = false;
        keepAlive = false;
        interim = false;
        released = false;
        return this;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public boolean reused() {
        return reused;
    }

    /**
     * Sends a request: a {@link FullHttpRequest} is the whole request; any other head is followed by the body
     * through {@link #write} and {@link #end}.
     */
    public void send(HttpRequest head, BackendClient.Listener listener) {
        this.listener = listener;
        used = true;
        requestEnded = head instanceof FullHttpRequest;
        channel.writeAndFlush(head, channel.voidPromise());
    }

    /** Sends a piece of the request body. */
    public void write(ByteBuf chunk) {
        channel.writeAndFlush(new DefaultHttpContent(chunk), channel.voidPromise());
    }

    @Override
    public void send(FullHttpRequest request, BackendClient.Listener listener) {
        send((HttpRequest) request, listener);
    }

    /** Ends the request body. */
    public void end() {
        requestEnded = true;
        channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, channel.voidPromise());
    }

    /**
     * Whether the connection takes more body now; when it does not, {@link BackendClient.Listener#drained()} says
     * when it does.
     */
    public boolean writable() {
        return channel.isWritable();
    }

    @Override
    public void pauseReading() {
        channel.config().setAutoRead(false);
    }

    @Override
    public void resumeReading() {
        channel.config().setAutoRead(true);
    }

    /**
     * Ends the lease: back to the pool when the exchange completed on a connection the backend keeps alive (or
     * never used it), closed otherwise — a half-sent request or a half-read answer would corrupt the next one.
     */
    @Override
    public void release() {
        if (released) {
            return;
        }
        released = true;
        listener = null;
        boolean clean = !used || (requestEnded && responseEnded && keepAlive);
        if (clean && channel.isActive()) {
            resumeReading();
            pool.giveBack(this);
        } else {
            channel.close();
        }
    }

    void close() {
        channel.close();
    }

    boolean isActive() {
        return channel.isActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (listener == null) {
                return; // an answer nobody asked for: the connection closes on release
            }
            DecoderResult result = ((io.netty.handler.codec.http.HttpObject) msg).decoderResult();
            if (result.isFailure()) {
                fail(new IOException("malformed answer: " + result.cause().getMessage(), result.cause()));
                return;
            }
            if (msg instanceof HttpResponse head) {
                int status = head.status().code();
                if (status < 200 && status != HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
                    interim = true;
                } else {
                    keepAlive = HttpUtil.isKeepAlive(head);
                    listener.head(head);
                }
            }
            if (msg instanceof HttpContent content && listener != null) {
                boolean last = content instanceof LastHttpContent;
                if (interim) {
                    interim = !last;
                    return;
                }
                if (last) {
                    responseEnded = true;
                }
                listener.content(content.content(), last);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (listener != null && channel.isWritable()) {
            listener.drained();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!responseEnded) {
            fail(new IOException("the backend closed the connection"));
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(cause);
        ctx.close();
    }

    private void fail(Throwable cause) {
        BackendClient.Listener current = listener;
        listener = null;
        keepAlive = false;
        if (current != null) {
            current.failed(cause);
        }
    }
}
