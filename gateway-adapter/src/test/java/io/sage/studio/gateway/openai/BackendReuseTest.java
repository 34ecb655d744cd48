package io.sage.studio.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.sage.studio.gateway.support.Http;
import io.sage.studio.gateway.support.RawBackend;
import io.sage.studio.gateway.support.RawBackend.Behaviour;
import io.sage.studio.gateway.support.RoutePublisher;
import io.sage.studio.gateway.support.StandInServices;
import io.sage.studio.gateway.support.TestVertx;
import io.sage.studio.kafka.KafkaTestResource;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;

/**
 * Backend connections from the edge's side: reuse, what happens when the backend drops a pooled connection as a
 * request goes out on it (a keep-alive timeout racing the request), and backpressure from a slow client to the
 * backend. One event loop, so that every request of a test meets the same pool.
 */
@QuarkusTest
@TestProfile(BackendReuseTest.OneLoop.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StandInServices.class, scope = TestResourceScope.GLOBAL)
class BackendReuseTest {

    private static final String CHAT =
            "{\"model\":\"sage-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    public static class OneLoop implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.vertx.event-loops-pool-size", "1");
        }
    }

    /** A new backend (a new port) per test: no connection pooled by an earlier test. */
    private RawBackend backend;

    @BeforeEach
    void route() {
        backend = RawBackend.start();
        RoutePublisher.active("raw-backend", backend.baseUrl(), "raw-model");
    }

    @AfterEach
    void stopBackend() throws Exception {
        backend.close();
    }

    private static HttpResponse<String> chat() {
        return Http.send(Http.post("/v1/chat/completions", CHAT));
    }

    @Test
    void requestsShareOneBackendConnection() {
        backend.script((connection, request) -> Behaviour.ANSWER);
        for (int i = 0; i < 5; i++) {
            assertThat(chat().statusCode()).isEqualTo(200);
        }
        assertThat(backend.connections()).isEqualTo(1);
        assertThat(backend.received()).hasSize(5);
    }

    @Test
    void aJsonRequestOnAConnectionTheBackendDropsGoesOnceMoreOnANewOne() {
        int first = 1;
        // The first connection answers once, then drops the next request; new connections answer.
        backend.script(
                (connection, request) -> connection == first && request == 2 ? Behaviour.DROP : Behaviour.ANSWER);
        assertThat(chat().statusCode()).isEqualTo(200);
        HttpResponse<String> retried = chat();
        assertThat(retried.statusCode()).isEqualTo(200);
        assertThat(retried.headers().firstValue(OpenAiProxy.MODEL_HEADER)).hasValue("raw-model");
        assertThat(backend.received())
                .extracting(RawBackend.Received::connection)
                .containsExactly(first, first, first + 1);
    }

    @Test
    void aRequestIsRetriedOnlyOnce() {
        int first = 1;
        // Every connection after the first drops what it gets.
        backend.script(
                (connection, request) -> connection == first && request == 1 ? Behaviour.ANSWER : Behaviour.DROP);
        assertThat(chat().statusCode()).isEqualTo(200);
        HttpResponse<String> failed = chat();
        assertThat(failed.statusCode()).isEqualTo(502);
        assertThat(failed.body()).contains("\"code\":\"backend_failed\"").contains("closed the connection");
        assertThat(backend.received()).hasSize(3);
    }

    @Test
    @Timeout(120)
    void aClientThatStopsReadingStopsTheBackend() throws Exception {
        long total = 64L << 20;
        AtomicLong sent = new AtomicLong();
        HttpServer large = TestVertx.get()
                .createHttpServer()
                .requestHandler(request -> request.body().onSuccess(b -> {
                    HttpServerResponse response = request.response()
                            .putHeader("Content-Type", "application/octet-stream")
                            .putHeader("Content-Length", Long.toString(total));
                    pump(response, Buffer.buffer(new byte[64 * 1024]), total, sent);
                }))
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        try (Socket client = new Socket("127.0.0.1", RestAssured.port)) {
            RoutePublisher.active("large-backend", "http://127.0.0.1:" + large.actualPort(), "large-model");
            client.getOutputStream()
                    .write(("POST /v1/files HTTP/1.1\r\nHost: localhost\r\n"
                                    + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
                            .getBytes(StandardCharsets.US_ASCII));
            InputStream in = client.getInputStream();
            String head = readHead(in);
            assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("content-length: " + total);
            // The client reads nothing more: the backend must come to a stop long before it has sent it all.
            await().pollDelay(Duration.ofMillis(500))
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> {
                        long before = sent.get();
                        Thread.sleep(500);
                        return sent.get() == before;
                    });
            assertThat(sent.get()).isLessThan(total / 2);
            byte[] buffer = new byte[256 * 1024];
            long received = 0;
            for (int n; received < total && (n = in.read(buffer)) > 0; ) {
                received += n;
            }
            assertThat(received).isEqualTo(total);
            assertThat(sent.get()).isEqualTo(total);
        } finally {
            large.close();
        }
    }

    /** Writes {@code total} bytes as fast as the connection takes them, and no faster. */
    private static void pump(HttpServerResponse response, Buffer chunk, long total, AtomicLong sent) {
        while (sent.get() < total && !response.writeQueueFull()) {
            response.write(chunk);
            sent.addAndGet(chunk.length());
        }
        if (sent.get() >= total) {
            response.end();
        } else {
            response.drainHandler(v -> pump(response, chunk, total, sent));
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (head.indexOf("\r\n\r\n") < 0) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed before the head ended: " + head);
            }
            head.append((char) b);
        }
        return head.toString();
    }

    @Test
    void anUploadIsReadWholeFirstSoItGoesOnceMoreToo() {
        int first = 1;
        backend.script(
                (connection, request) -> connection == first && request == 2 ? Behaviour.DROP : Behaviour.ANSWER);
        assertThat(chat().statusCode()).isEqualTo(200);
        // Not JSON, but every /v1 body is read whole before it goes upstream: it is at hand for the retry.
        HttpResponse<String> retried = Http.send(HttpRequest.newBuilder(Http.uri("/v1/audio/transcriptions"))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofString("RIFF....WAVE"))
                .build());
        assertThat(retried.statusCode()).isEqualTo(200);
        assertThat(backend.received()).hasSize(3);
        assertThat(backend.received().get(2).connection()).isEqualTo(first + 1);
        assertThat(backend.received().get(2).body()).isEqualTo("RIFF....WAVE");
    }
}
