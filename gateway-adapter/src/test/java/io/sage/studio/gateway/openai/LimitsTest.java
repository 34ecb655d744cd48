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

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.sage.studio.gateway.support.Http;
import io.sage.studio.gateway.support.RoutePublisher;
import io.sage.studio.gateway.support.StandInBackend;
import io.sage.studio.gateway.support.StandInServices;
import io.sage.studio.kafka.KafkaTestResource;

/** The limits of the edge, with small values: concurrency cap, upstream timeout, body sizes. */
@QuarkusTest
@TestProfile(LimitsTest.SmallLimits.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StandInServices.class, scope = TestResourceScope.GLOBAL)
class LimitsTest {

    private static final String CHAT = "{\"model\":\"sage-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    public static class SmallLimits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "studio.gateway.max-concurrent-requests", "2",
                    "studio.gateway.upstream-timeout", "1s",
                    "studio.gateway.max-request-size", "1K",
                    "studio.gateway.max-upload-size", "64K");
        }
    }

    private static StandInBackend backend;

    @BeforeAll
    static void startBackend() {
        backend = StandInBackend.start("limits-model");
    }

    @AfterAll
    static void stopBackend() throws Exception {
        backend.close();
    }

    @BeforeEach
    void route() {
        backend.reset();
        RoutePublisher.active(backend);
    }

    @Test
    void requestsBeyondTheConcurrencyCapAre429InOpenAiShape() throws Exception {
        backend.holdAnswers();
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        held.add(Http.sendAsync(Http.post("/v1/chat/completions", CHAT)));
        held.add(Http.sendAsync(Http.post("/v1/chat/completions", CHAT)));
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.arrived() == 2);

        given().contentType(ContentType.JSON).body(CHAT).post("/v1/chat/completions").then()
                .statusCode(429)
                .header("Retry-After", "1")
                .body("error.type", equalTo("rate_limit_error"))
                .body("error.code", equalTo("too_many_concurrent_requests"));
        assertThat(backend.arrived()).isEqualTo(2);

        backend.release();
        for (CompletableFuture<HttpResponse<String>> response : held) {
            assertThat(response.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> given().get("/api/gateway/status").then()
                .body("requests.in_flight", equalTo(0)));
        given().contentType(ContentType.JSON).body(CHAT).post("/v1/chat/completions").then().statusCode(200);
    }

    @Test
    void aSilentBackendTimesOutWith504() {
        backend.holdAnswers();
        given().contentType(ContentType.JSON).body(CHAT).post("/v1/chat/completions").then()
                .statusCode(504)
                .body("error.code", equalTo("backend_timeout"))
                .body("error.message", containsString("studio.gateway.upstream-timeout"));
        backend.release();
    }

    @Test
    @Timeout(30)
    void aStreamThatStallsMidwayIsCutOff() throws Exception {
        backend.holdStreams();
        try (Http.Stream stream = Http.open(Http.post("/v1/chat/completions",
                "{\"model\":\"sage-chat\",\"stream\":true,\"messages\":[]}"))) {
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
        backend.release();
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
        given().contentType(ContentType.JSON).body(big).post("/v1/completions").then()
                .statusCode(413)
                .body("error.code", equalTo("request_too_large"));
        HttpResponse<String> chunked = Http.send(HttpRequest.newBuilder(Http.uri("/v1/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))
                .build());
        assertThat(chunked.statusCode()).isEqualTo(413);
        assertThat(chunked.body()).contains("request_too_large");
        assertThat(backend.arrived()).isZero();
    }

    @Test
    void uploadsOverTheUploadLimitAre413InTheStudioShape() {
        given().contentType("application/octet-stream").body(new byte[100_000])
                .post("/api/finetune/upload-dataset").then()
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
}
