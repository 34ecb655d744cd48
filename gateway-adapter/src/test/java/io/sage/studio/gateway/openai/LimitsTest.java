package io.sage.studio.gateway.openai;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.sage.studio.gateway.proxy.OwningService;
import io.sage.studio.gateway.support.ActiveStandIn;
import io.sage.studio.gateway.support.Http;
import io.sage.studio.gateway.support.RawClient;
import io.sage.studio.gateway.support.StandInServices;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * The limits of the edge, with small values: concurrency cap, upstream and body-read timeouts, body sizes, the
 * request buffer, the connections and wait queues of {@code /api}.
 */
@QuarkusTest
@TestProfile(LimitsTest.SmallLimits.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StandInServices.class, scope = TestResourceScope.GLOBAL)
class LimitsTest {

    private static final String CHAT =
            "{\"model\":\"sage-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    public static class SmallLimits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.ofEntries(
                    Map.entry("studio.gateway.max-concurrent-requests", "2"),
                    Map.entry("studio.gateway.upstream-timeout", "1s"),
                    Map.entry("studio.gateway.body-read-timeout", "2s"),
                    Map.entry("studio.gateway.max-request-size", "1K"),
                    Map.entry("studio.gateway.max-buffered-request-bytes", "8K"),
                    Map.entry("studio.gateway.max-upload-size", "64K"),
                    Map.entry("studio.gateway.service-pool-size", "2"),
                    Map.entry("studio.gateway.service-wait-queue-size", "2"),
                    Map.entry("studio.gateway.max-service-uploads", "2"),
                    Map.entry("studio.gateway.max-service-streams", "3"));
        }
    }

    @RegisterExtension
    static final ActiveStandIn standIn = new ActiveStandIn("limits-model");

    @Test
    void requestsBeyondTheConcurrencyCapAre429InOpenAiShape() throws Exception {
        standIn.backend().holdAnswers();
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        held.add(Http.sendAsync(Http.post("/v1/chat/completions", CHAT)));
        held.add(Http.sendAsync(Http.post("/v1/chat/completions", CHAT)));
        await().atMost(Duration.ofSeconds(10)).until(() -> standIn.backend().arrived() == 2);

        given().contentType(ContentType.JSON)
                .body(CHAT)
                .post("/v1/chat/completions")
                .then()
                .statusCode(429)
                .header("Retry-After", "1")
                .body("error.type", equalTo("rate_limit_error"))
                .body("error.code", equalTo("too_many_concurrent_requests"));
        assertThat(standIn.backend().arrived()).isEqualTo(2);

        standIn.backend().release();
        for (CompletableFuture<HttpResponse<String>> response : held) {
            assertThat(response.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> given().get("/api/gateway/status").then().body("requests.in_flight", equalTo(0)));
        given().contentType(ContentType.JSON)
                .body(CHAT)
                .post("/v1/chat/completions")
                .then()
                .statusCode(200);
    }

    @Test
    void aSilentBackendTimesOutWith504() {
        standIn.backend().holdAnswers();
        given().contentType(ContentType.JSON)
                .body(CHAT)
                .post("/v1/chat/completions")
                .then()
                .statusCode(504)
                .body("error.code", equalTo("backend_timeout"))
                .body("error.message", containsString("studio.gateway.upstream-timeout"));
        standIn.backend().release();
    }

    @Test
    @Timeout(30)
    void aStreamThatStallsMidwayIsCutOff() throws Exception {
        standIn.backend().holdStreams();
        try (Http.Stream stream = Http.open(
                Http.post("/v1/chat/completions", "{\"model\":\"sage-chat\",\"stream\":true,\"messages\":[]}"))) {
            assertThat(stream.nextLine()).contains("\"role\":\"assistant\"");
            List<String> rest;
            try {
                rest = stream.rest();
            } catch (IOException e) {
                rest = List.of();
            }
            // The backend never finished: the client must not see a clean end of stream.
            assertThat(rest).doesNotContain("data: [DONE]");
        }
        standIn.backend().release();
        given().get("/q/metrics").then().body(containsString("reason=\"timeout\""));
    }

    @Test
    @Timeout(30)
    void anUploadSlowerThanTheTimeoutIsNotCutOff() {
        // 8 pieces 300 ms apart: 2.4 s of upload, more than twice the 1 s upstream timeout, but never silent for 1 s.
        InputStream slow = new InputStream() {
            private int piece;
            private byte[] current = new byte[0];
            private int at;

            @Override
            public int read() {
                if (at == current.length) {
                    if (piece == 8) {
                        return -1;
                    }
                    try {
                        Thread.sleep(300);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return -1;
                    }
                    current = ("piece " + piece++ + " of a recording;").getBytes(StandardCharsets.UTF_8);
                    at = 0;
                }
                return current[at++];
            }

            @Override
            public int read(byte[] buffer, int offset, int length) {
                int first = read();
                if (first < 0) {
                    return -1;
                }
                buffer[offset] = (byte) first;
                int n = 1;
                while (n < length && at < current.length) {
                    buffer[offset + n++] = current[at++];
                }
                return n;
            }
        };
        HttpResponse<String> answer = Http.send(HttpRequest.newBuilder(Http.uri("/v1/audio/transcriptions"))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> slow))
                .build());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(answer.body()).contains("/v1/audio/transcriptions");
    }

    @Test
    void bodiesOverTheRequestLimitAre413WhetherDeclaredOrChunked() {
        String big = "{\"model\":\"sage-chat\",\"prompt\":\"" + "x".repeat(2000) + "\"}";
        given().contentType(ContentType.JSON)
                .body(big)
                .post("/v1/completions")
                .then()
                .statusCode(413)
                .body("error.code", equalTo("request_too_large"));
        HttpResponse<String> chunked = Http.send(HttpRequest.newBuilder(Http.uri("/v1/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))
                .build());
        assertThat(chunked.statusCode()).isEqualTo(413);
        assertThat(chunked.body()).contains("request_too_large");
        assertThat(standIn.backend().arrived()).isZero();
    }

    @Test
    void uploadsOverTheUploadLimitAre413InTheStudioShape() {
        given().contentType("application/octet-stream")
                .body(new byte[100_000])
                .post("/api/finetune/upload-dataset")
                .then()
                .statusCode(413)
                .body("error.code", equalTo("payload_too_large"))
                .body("error.message", containsString("studio.gateway.max-upload-size"));
        HttpResponse<String> chunked = Http.send(HttpRequest.newBuilder(Http.uri("/api/finetune/upload-dataset"))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(new byte[100_000])))
                .build());
        assertThat(chunked.statusCode()).isEqualTo(413);
        assertThat(chunked.body()).contains("payload_too_large");
    }

    private static final String OPENAI_TIMEOUT = "\"code\":\"request_timeout\"";

    private static String head(String path, long contentLength) {
        return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + contentLength + "\r\n\r\n";
    }

    private static long bufferedBytes() {
        return given().get("/api/gateway/status")
                .then()
                .statusCode(200)
                .extract()
                .<Number>path("requests.buffered_bytes")
                .longValue();
    }

    @Test
    @Timeout(60)
    void headerOnlyRequestsHoldNeitherSlotsNorMemoryAndAre408AfterTheBodyReadTimeout() {
        // Ten clients announce a body and send none of it: more than the two slots there are.
        List<RawClient> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                stalled.add(RawClient.connect().send(head("/v1/chat/completions", 1000)));
            }
            HttpResponse<String> chat = Http.send(Http.post("/v1/chat/completions", CHAT));
            assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
            assertThat(bufferedBytes()).isZero();
            for (RawClient client : stalled) {
                String answer = client.readUntilClosed();
                assertThat(answer)
                        .startsWith("HTTP/1.1 408")
                        .contains(OPENAI_TIMEOUT)
                        .contains("\"type\":\"invalid_request_error\"")
                        .contains("studio.gateway.body-read-timeout");
            }
        } finally {
            stalled.forEach(RawClient::close);
        }
        assertThat(standIn.backend().arrived()).isEqualTo(1);
        given().get("/q/metrics").then().body(containsString("reason=\"body_timeout\""));
    }

    @Test
    @Timeout(60)
    void bodiesAreHeldAsTheirBytesArriveWithinTheRequestBuffer() {
        String start = "{\"prompt\":\"" + "x".repeat(889);
        String end = "\",\"model\":\"sage-chat\"";
        end = end + " ".repeat(80 - end.length() - 1) + "}";
        List<RawClient> partial = new ArrayList<>();
        try {
            // 9 bodies of 980 declared bytes, 900 sent each: 8100 bytes held (not 8820) of the 8 KiB buffer.
            for (int i = 0; i < 9; i++) {
                partial.add(RawClient.connect().send(head("/v1/completions", 980) + start));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> bufferedBytes() == 9 * 900);
            // 900 more do not fit: 503 at once, and the connection closed.
            RawClient over = RawClient.connect();
            partial.add(over);
            assertThat(over.send(head("/v1/completions", 980) + start).readAnswer())
                    .startsWith("HTTP/1.1 503")
                    .containsIgnoringCase("Retry-After: 1")
                    .contains("\"code\":\"request_buffer_full\"")
                    .contains("studio.gateway.max-buffered-request-bytes");
            // A body that ends (80 bytes more: 8180) goes to the backend, and gives its bytes back once answered.
            assertThat(partial.get(0).send(end).readAnswer()).startsWith("HTTP/1.1 200");
            assertThat(standIn.backend().last().json().getString("model")).isEqualTo("limits-model");
            await().atMost(Duration.ofSeconds(10)).until(() -> bufferedBytes() == 8 * 900);
            assertThat(over.readUntilClosed()).isEmpty();
        } finally {
            partial.forEach(RawClient::close);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> bufferedBytes() == 0);
    }

    @Test
    @Timeout(60)
    void aStalledUploadIs408InTheStudioShapeAndTheServiceSeesItCut() {
        StandInServices.Service finetune = StandInServices.service(OwningService.FINETUNE);
        try (RawClient upload = RawClient.connect()) {
            upload.send("POST /api/finetune/upload-dataset HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/octet-stream\r\nContent-Length: 50000\r\n\r\n" + "y".repeat(1000));
            await().atMost(Duration.ofSeconds(10)).until(() -> finetune.uploadedBytes() == 1000);
            String answer = upload.readUntilClosed();
            assertThat(answer)
                    .startsWith("HTTP/1.1 408")
                    .contains("\"code\":\"request_timeout\"")
                    .contains("studio.gateway.body-read-timeout");
        }
        // The upload connection to the service was given up: the next uploads get through.
        for (int i = 0; i < 3; i++) {
            given().contentType("application/octet-stream")
                    .body(new byte[10_000])
                    .post("/api/finetune/upload-dataset")
                    .then()
                    .statusCode(200)
                    .body("bytes", equalTo(10_000));
        }
    }

    @Test
    @Timeout(60)
    void openStreamsNeverTakeTheConnectionsOfOrdinaryCalls() throws Exception {
        StandInServices.Service finetune = StandInServices.service(OwningService.FINETUNE);
        finetune.holdStreams();
        List<Http.Stream> streams = new ArrayList<>();
        try {
            // More streams than the two connections of ordinary calls, as many as max-service-streams allows.
            for (int i = 0; i < 3; i++) {
                Http.Stream stream = Http.open(HttpRequest.newBuilder(Http.uri("/api/finetune/tasks/stream"))
                        .GET()
                        .build());
                streams.add(stream);
                assertThat(stream.nextLine()).isEqualTo("event: task");
            }
            HttpResponse<String> oneTooMany =
                    Http.send(HttpRequest.newBuilder(Http.uri("/api/finetune/tasks/t1/logs?follow=true"))
                            .GET()
                            .build());
            assertThat(oneTooMany.statusCode()).isEqualTo(503);
            assertThat(oneTooMany.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(oneTooMany.body())
                    .contains("\"code\":\"too_many_streams\"")
                    .contains("studio.gateway.max-service-streams");
            // Ordinary calls still answer at once, several times over the two connections they have.
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> call = Http.send(HttpRequest.newBuilder(Http.uri("/api/finetune/tasks"))
                        .timeout(Duration.ofSeconds(5))
                        .GET()
                        .build());
                assertThat(call.statusCode()).isEqualTo(200);
            }
        } finally {
            finetune.release();
            for (Http.Stream stream : streams) {
                stream.close();
            }
        }
    }

    @Test
    @Timeout(60)
    void callsBeyondTheConnectionsAndTheWaitQueueAre503AtOnce() throws Exception {
        StandInServices.Service finetune = StandInServices.service(OwningService.FINETUNE);
        finetune.holdCalls();
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        try {
            // Two connections and a queue of two: the fifth call at the latest is turned away at once. (Vert.x
            // counts calls waiting for a connection being opened as waiting too: on a cold pool more are.)
            for (int i = 0; i < 5; i++) {
                calls.add(Http.sendAsync(HttpRequest.newBuilder(Http.uri("/api/finetune/slow"))
                        .GET()
                        .build()));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> calls.stream().anyMatch(CompletableFuture::isDone));
            for (CompletableFuture<HttpResponse<String>> call : calls) {
                if (call.isDone()) {
                    HttpResponse<String> busy = call.get();
                    assertThat(busy.statusCode()).isEqualTo(503);
                    assertThat(busy.headers().firstValue("Retry-After")).hasValue("1");
                    assertThat(busy.body())
                            .contains("\"code\":\"service_busy\"")
                            .contains("studio.gateway.service-wait-queue-size");
                }
            }
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> finetune.received().stream()
                                    .filter(r -> r.uri().endsWith("/slow"))
                                    .count()
                            == 2);
        } finally {
            finetune.release();
        }
        List<Integer> statuses =
                calls.stream().map(call -> call.join().statusCode()).toList();
        assertThat(statuses).contains(503).containsOnly(200, 503);
        assertThat(statuses.stream().filter(status -> status == 200).count()).isBetween(2L, 4L);
        given().get("/api/finetune/tasks").then().statusCode(200);
    }
}
