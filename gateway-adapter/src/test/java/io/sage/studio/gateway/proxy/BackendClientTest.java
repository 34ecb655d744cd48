package io.sage.studio.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContextBuilder;
import io.sage.studio.gateway.support.RawBackend;
import io.sage.studio.gateway.support.RawBackend.Behaviour;
import io.sage.studio.gateway.support.TestVertx;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.net.PfxOptions;

/**
 * The model backends' connections, one behaviour suite run against both {@link BackendClient}s (the hand-written
 * Netty client and Vert.x' client, its reference): answers relayed as they stream, keep-alive reuse, what ends a
 * connection's reuse, a released exchange aborting the backend's work, connection failures; and the Netty client's
 * TLS verification.
 */
class BackendClientTest {

    private static final String KEY_STORE = "tls/backend.p12";
    private static final String KEY_STORE_PASSWORD = "stand-in"; // a test-only key for CN=localhost

    private static Vertx vertx;
    private static ContextInternal loop;
    private static RawBackend backend;

    /** One exchange's answer. */
    private record Answer(int status, String body) {}

    /** The implementations under test. */
    enum Client {
        NETTY,
        VERTX;

        BackendClient create(Duration keepAlive) {
            BackendClient client = switch (this) {
                case NETTY -> new BackendConnections(vertx, Duration.ofSeconds(2), keepAlive, null);
                case VERTX -> new VertxBackendClient(vertx, Duration.ofSeconds(2), keepAlive, 64, null);
            };
            created.add(client);
            return client;
        }
    }

    /** The clients a test made, closed after it. */
    private static final List<BackendClient> created = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeClients() {
        created.forEach(BackendClient::close);
        created.clear();
    }

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        loop = (ContextInternal) vertx.getOrCreateContext();
        backend = RawBackend.start();
    }

    @AfterAll
    static void stop() throws Exception {
        backend.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** Sends one POST with {@code body} on a leased connection and releases it when the answer ended. */
    private static Answer exchange(BackendClient connections, UpstreamTarget target, String body) throws Exception {
        return exchange(connections, target, body, new ArrayList<>(), new boolean[1]);
    }

    /** {@link #exchange}, noting the answer's body pieces in {@code pieces} and whether the lease was reused. */
    private static Answer exchange(
            BackendClient connections, UpstreamTarget target, String body, List<String> pieces, boolean[] reused)
            throws Exception {
        CompletableFuture<Answer> done = new CompletableFuture<>();
        loop.runOnContext(v -> connections.lease(loop.nettyEventLoop(), target, false, System.nanoTime(), ar -> {
            if (ar.failed()) {
                done.completeExceptionally(ar.cause());
                return;
            }
            BackendClient.Lease connection = ar.result();
            reused[0] = connection.reused();
            StringBuilder received = new StringBuilder();
            int[] status = {0};
            ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
            DefaultFullHttpRequest request = new DefaultFullHttpRequest(
                    HttpVersion.HTTP_1_1, HttpMethod.POST, target.uri("/v1/chat/completions"), content);
            request.headers()
                    .set(HttpHeaderNames.HOST, target.hostHeader())
                    .set(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
            connection.send(request, new BackendClient.Listener() {
                @Override
                public void head(HttpResponse head) {
                    status[0] = head.status().code();
                }

                @Override
                public void content(ByteBuf piece, boolean last) {
                    if (piece.isReadable()) {
                        pieces.add(piece.toString(StandardCharsets.UTF_8));
                    }
                    received.append(piece.toString(StandardCharsets.UTF_8));
                    if (last) {
                        connection.release();
                        done.complete(new Answer(status[0], received.toString()));
                    }
                }

                @Override
                public void failed(Throwable cause) {
                    connection.release();
                    done.completeExceptionally(cause);
                }
            });
        }));
        try {
            return done.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    private static UpstreamTarget target(String baseUrl) {
        return UpstreamTarget.parse(baseUrl, null);
    }

    @ParameterizedTest
    @EnumSource(Client.class)
    void aConnectionServesTheNextRequestOfItsLoop(Client client) throws Exception {
        backend.script((connection, request) -> Behaviour.ANSWER);
        int before = backend.connections();
        BackendClient connections = client.create(Duration.ofSeconds(30));
        UpstreamTarget target = target(backend.baseUrl());
        for (int i = 0; i < 3; i++) {
            assertThat(exchange(connections, target, "{\"n\":" + i + "}"))
                    .isEqualTo(new Answer(200, "{\"object\":\"chat.completion\",\"echo\":7}"));
        }
        assertThat(backend.connections() - before).isEqualTo(1);
        assertThat(backend.received())
                .extracting(RawBackend.Received::requestLine)
                .containsOnly("POST /v1/chat/completions HTTP/1.1");
        assertThat(backend.received().get(0).head()).contains("host: 127.0.0.1:" + backend.port());
    }

    @ParameterizedTest
    @EnumSource(Client.class)
    void aPooledConnectionSaysItIsReused(Client client) throws Exception {
        backend.script((connection, request) -> Behaviour.ANSWER);
        BackendClient connections = client.create(Duration.ofSeconds(30));
        UpstreamTarget target = target(backend.baseUrl());
        boolean[] reused = new boolean[1];
        exchange(connections, target, "{}", new ArrayList<>(), reused);
        assertThat(reused[0]).isFalse();
        exchange(connections, target, "{}", new ArrayList<>(), reused);
        assertThat(reused[0]).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Client.class)
    void aStreamedAnswerArrivesPieceByPieceAsItIsSent(Client client) throws Exception {
        Vertx stand = TestVertx.get();
        HttpServer server = stand.createHttpServer()
                .requestHandler(request -> request.body().onSuccess(b -> {
                    HttpServerResponse response =
                            request.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
                    response.write("data: 1\n\n");
                    stand.setTimer(50, t1 -> {
                        response.write("data: 2\n\n");
                        stand.setTimer(50, t2 -> response.end("data: [DONE]\n\n"));
                    });
                }))
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        try {
            List<String> pieces = new CopyOnWriteArrayList<>();
            Answer answer = exchange(
                    client.create(Duration.ofSeconds(30)),
                    target("http://127.0.0.1:" + server.actualPort()),
                    "{}",
                    pieces,
                    new boolean[1]);
            assertThat(answer).isEqualTo(new Answer(200, "data: 1\n\ndata: 2\n\ndata: [DONE]\n\n"));
            // Relayed as the backend sent it, not gathered first.
            assertThat(pieces).hasSizeGreaterThanOrEqualTo(3).startsWith("data: 1\n\n", "data: 2\n\n");
        } finally {
            server.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Client.class)
    void aConnectionDroppedBeforeTheAnswerFailsTheExchange(Client client) {
        backend.script((connection, request) -> Behaviour.DROP);
        BackendClient connections = client.create(Duration.ofSeconds(30));
        assertThatThrownBy(() -> exchange(connections, target(backend.baseUrl()), "{}"))
                .isNotInstanceOf(TimeoutException.class);
    }

    @ParameterizedTest
    @EnumSource(Client.class)
    void anAnswerWithConnectionCloseEndsTheConnectionsReuse(Client client) throws Exception {
        backend.script((connection, request) -> Behaviour.ANSWER_AND_CLOSE);
        int before = backend.connections();
        BackendClient connections = client.create(Duration.ofSeconds(30));
        UpstreamTarget target = target(backend.baseUrl());
        assertThat(exchange(connections, target, "{}").status()).isEqualTo(200);
        assertThat(exchange(connections, target, "{}").status()).isEqualTo(200);
        assertThat(backend.connections() - before).isEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(Client.class)
    void interimAnswersAreSkippedAndTheConnectionStaysUsable(Client client) throws Exception {
        backend.script((connection, request) -> Behaviour.INTERIM_THEN_ANSWER);
        int before = backend.connections();
        BackendClient connections = client.create(Duration.ofSeconds(30));
        UpstreamTarget target = target(backend.baseUrl());
        assertThat(exchange(connections, target, "{}"))
                .isEqualTo(new Answer(200, "{\"object\":\"chat.completion\",\"echo\":2}"));
        assertThat(exchange(connections, target, "{}").status()).isEqualTo(200);
        assertThat(backend.connections() - before).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Client.class)
    void aBodyEndedByTheConnectionClosingArrivesWhole(Client client) throws Exception {
        backend.script((connection, request) -> Behaviour.CLOSE_DELIMITED);
        BackendClient connections = client.create(Duration.ofSeconds(30));
        assertThat(exchange(connections, target(backend.baseUrl()), "{\"a\":1}"))
                .isEqualTo(new Answer(200, "{\"object\":\"chat.completion\",\"echo\":7}"));
    }

    @ParameterizedTest
    @EnumSource(Client.class)
    void idleConnectionsCloseAfterTheKeepAliveTimeout(Client client) throws Exception {
        // A backend of its own: no other test's connection closes while this one waits.
        try (RawBackend own = RawBackend.start()) {
            BackendClient connections = client.create(Duration.ofMillis(300));
            UpstreamTarget target = target(own.baseUrl());
            assertThat(exchange(connections, target, "{}").status()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(5)).until(() -> own.closedConnections() == 1);
            assertThat(exchange(connections, target, "{}").status()).isEqualTo(200);
            assertThat(own.connections()).isEqualTo(2);
        }
    }

    @ParameterizedTest
    @EnumSource(Client.class)
    void aConnectionReleasedBeforeItsAnswerEndedIsClosed(Client client) throws Exception {
        // A backend of its own: a connection another test left in a pool cannot close while this one counts.
        try (RawBackend own = RawBackend.start()) {
            BackendClient connections = client.create(Duration.ofSeconds(30));
            UpstreamTarget target = target(own.baseUrl());
            CompletableFuture<Void> released = new CompletableFuture<>();
            loop.runOnContext(v -> connections.lease(loop.nettyEventLoop(), target, false, System.nanoTime(), ar -> {
                BackendClient.Lease connection = ar.result();
                DefaultFullHttpRequest request =
                        new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/v1/models");
                request.headers().set(HttpHeaderNames.HOST, target.hostHeader());
                connection.send(request, null);
                connection.release(); // as a client disconnect does: the backend must see its connection close
                released.complete(null);
            }));
            released.get(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(5)).until(() -> own.closedConnections() == 1);
        }
    }

    @ParameterizedTest
    @EnumSource(Client.class)
    void aRefusedConnectionFailsTheLeaseNamingTheAddress(Client client) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        UpstreamTarget target = target("http://127.0.0.1:" + port);
        assertThatThrownBy(() -> exchange(client.create(Duration.ofSeconds(4)), target, "{}"))
                .hasMessageContaining("Connection refused")
                .hasMessageContaining(Integer.toString(port));
    }

    /** The Netty client's own TLS set-up (Vert.x' client verifies with its own, well-tested code). */
    @Test
    void httpsBackendsAreVerifiedByCertificateAndHostName() throws Exception {
        HttpServer server = TestVertx.get()
                .createHttpServer(new HttpServerOptions()
                        .setSsl(true)
                        .setSni(true)
                        .setKeyCertOptions(new PfxOptions().setPath(KEY_STORE).setPassword(KEY_STORE_PASSWORD)))
                .requestHandler(request -> request.body()
                        .onSuccess(body -> request.response()
                                .putHeader("Content-Type", "application/json")
                                .end("{\"sni\":\"" + request.connection().indicatedServerName() + "\",\"got\":"
                                        + body.length() + "}")))
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        try {
            int port = server.actualPort();
            BackendConnections trusting = new BackendConnections(
                    vertx,
                    Duration.ofSeconds(2),
                    Duration.ofSeconds(4),
                    SslContextBuilder.forClient().trustManager(trustStore()).build());
            assertThat(exchange(trusting, target("https://localhost:" + port + "/v1"), "{}"))
                    .isEqualTo(new Answer(200, "{\"sni\":\"localhost\",\"got\":2}"));
            // The certificate names localhost only: the same server by address is refused.
            assertThatThrownBy(() -> exchange(trusting, target("https://127.0.0.1:" + port), "{}"))
                    .hasMessageContaining("TLS handshake failed")
                    .hasMessageContaining("127.0.0.1");
            // And the JVM's own trust store does not know this self-signed certificate.
            assertThatThrownBy(() -> exchange(
                            Client.NETTY.create(Duration.ofSeconds(4)), target("https://localhost:" + port), "{}"))
                    .hasMessageContaining("TLS handshake failed");
        } finally {
            server.close();
        }
    }

    private static TrustManagerFactory trustStore() throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = BackendClientTest.class.getClassLoader().getResourceAsStream(KEY_STORE)) {
            store.load(in, KEY_STORE_PASSWORD.toCharArray());
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        return factory;
    }
}
