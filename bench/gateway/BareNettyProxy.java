import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * A second floor for the benchmark: the same proxy as {@code BareVertxProxy.java} on Netty alone (the Netty
 * release the gateway ships), without Vert.x: HTTP codecs and aggregation, one pool of backend connections per
 * event loop, {@code sage-chat} rewritten, model header added; no streaming, limits, timeouts or errors. It shows
 * what hand-written Netty pipelines on the {@code /v1} path could reach:
 * {@code java -cp <gateway libs> BareNettyProxy.java <port> <backend-port> <served-model> <event-loops>}.
 */
public class BareNettyProxy {

    private static final FastThreadLocal<ArrayDeque<Channel>> IDLE = new FastThreadLocal<>() {
        @Override
        protected ArrayDeque<Channel> initialValue() {
            return new ArrayDeque<>();
        }
    };
    private static final AttributeKey<Channel> CLIENT = AttributeKey.valueOf("client");

    public static void main(String[] args) throws InterruptedException {
        int port = Integer.parseInt(args[0]);
        int backendPort = Integer.parseInt(args[1]);
        String model = args[2];
        EventLoopGroup loops = new NioEventLoopGroup(Integer.parseInt(args[3]));
        new ServerBootstrap().group(loops).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                new Front(backendPort, model));
                    }
                })
                .bind("127.0.0.1", port).sync().channel().closeFuture().sync();
    }

    /** A client's request: rewritten and sent on an idle backend connection of this loop, or a new one. */
    private static final class Front extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final int backendPort;
        private final String model;

        Front(int backendPort, String model) {
            this.backendPort = backendPort;
            this.model = model;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            ByteBuf body = Unpooled.copiedBuffer(request.content().toString(StandardCharsets.UTF_8)
                    .replace("\"sage-chat\"", "\"" + model + "\""), StandardCharsets.UTF_8);
            FullHttpRequest upstream = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, request.method(), request.uri(), body);
            upstream.headers().set(request.headers())
                    .set(HttpHeaderNames.HOST, "127.0.0.1")
                    .set(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            Channel client = ctx.channel();
            Channel backend;
            while ((backend = IDLE.get().poll()) != null && !backend.isActive()) {
                // closed while idle: drop it
            }
            if (backend != null) {
                backend.attr(CLIENT).set(client);
                backend.writeAndFlush(upstream);
                return;
            }
            new Bootstrap().group(client.eventLoop()).channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            channel.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20),
                                    new Back(model));
                        }
                    })
                    .connect("127.0.0.1", backendPort)
                    .addListener((ChannelFutureListener) connected -> {
                        connected.channel().attr(CLIENT).set(client);
                        connected.channel().writeAndFlush(upstream);
                    });
        }
    }

    /** The backend's answer: relayed to the client, the connection back to the loop's idle pool. */
    private static final class Back extends SimpleChannelInboundHandler<FullHttpResponse> {
        private final String model;

        Back(String model) {
            this.model = model;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse answer) {
            Channel client = ctx.channel().attr(CLIENT).getAndSet(null);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, answer.status(),
                    answer.content().retain());
            response.headers().set(answer.headers()).remove(HttpHeaderNames.CONNECTION).set("X-Studio-Model", model);
            IDLE.get().push(ctx.channel());
            client.writeAndFlush(response);
        }
    }
}
