package io.sage.studio.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sage.studio.gateway.proxy.OwningService;
import io.sage.studio.gateway.support.Http;
import io.sage.studio.gateway.support.RawClient;
import io.sage.studio.gateway.support.RoutePublisher;
import io.sage.studio.gateway.support.StandInBackend;
import io.sage.studio.gateway.support.StandInServices;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * Fault-injection scenario of issue 15, with the gateway's default limits: 300 slow-loris sockets on {@code /v1} and
 * 300 on {@code /api}, first sending their heads slowly (half a head each), then finishing the heads and sending a
 * little of a large body that never ends. Meanwhile a normal chat request and an ordinary {@code /api} call each
 * answer in under a second. (Before request bodies were read ahead of the slot, 256 stalled {@code /v1} bodies took
 * every slot and the chat request got 429; stalled uploads took every service connection of {@code /api}.)
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StandInServices.class, scope = TestResourceScope.GLOBAL)
class SlowLorisTest {

    private static final int SOCKETS = 300;
    private static final String CHAT =
            "{\"model\":\"sage-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private static StandInBackend backend;

    @BeforeAll
    static void startBackend() {
        backend = StandInBackend.start("slow-loris-model");
    }

    @AfterAll
    static void stopBackend() throws Exception {
        backend.close();
    }

    /** Milliseconds of a normal chat request, which must succeed. */
    private static long chat() {
        long start = System.nanoTime();
        HttpResponse<String> answer = Http.send(HttpRequest.newBuilder(Http.uri("/v1/chat/completions"))
                .timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(CHAT))
                .build());
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return millis;
    }

    /** Milliseconds of an ordinary {@code /api} call, which must succeed. */
    private static long apiCall() {
        long start = System.nanoTime();
        HttpResponse<String> answer = Http.send(HttpRequest.newBuilder(Http.uri("/api/finetune/tasks"))
                .timeout(Duration.ofSeconds(5))
                .GET()
                .build());
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return millis;
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
    @Timeout(120)
    void normalRequestsAnswerWithinASecondBeside600SlowLorisSockets() {
        RoutePublisher.active(backend);
        StandInServices.Service finetune = StandInServices.service(OwningService.FINETUNE);
        finetune.received().clear();
        int uploadConnections =
                ConfigProvider.getConfig().getValue("studio.gateway.max-service-uploads", Integer.class);
        chat();
        apiCall();
        List<RawClient> v1 = new ArrayList<>();
        List<RawClient> api = new ArrayList<>();
        try {
            for (int i = 0; i < SOCKETS; i++) {
                v1.add(RawClient.connect().send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
                api.add(RawClient.connect().send("POST /api/finetune/upload-dataset HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
            }
            long chatDuringHeads = chat();
            long apiDuringHeads = apiCall();

            String someBody = "{\"messages\":\"" + "z".repeat(86);
            for (int i = 0; i < SOCKETS; i++) {
                v1.get(i).send("Content-Type: application/json\r\nContent-Length: 65536\r\n\r\n" + someBody);
                api.get(i).send("Content-Type: application/octet-stream\r\nContent-Length: 1048576\r\n\r\n" + someBody);
            }
            // The gateway has taken the burst in: the uploads fill their connections to the finetune-service (the
            // rest wait for one or were turned away).
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> finetune.received().stream()
                                    .filter(r -> r.uri().endsWith("/upload-dataset"))
                                    .count()
                            >= uploadConnections);
            long chatDuringBodies = chat();
            long apiDuringBodies = apiCall();
            // Every /v1 body is being read meanwhile: 100 bytes held each, not the 64 KiB announced.
            await().atMost(Duration.ofSeconds(5)).until(() -> bufferedBytes() == (long) SOCKETS * someBody.length());

            System.out.printf(
                    Locale.ROOT,
                    "slow-loris: %d /v1 + %d /api sockets open (heads, then bodies stalled);"
                            + " chat %d ms / %d ms, /api call %d ms / %d ms; /v1 bodies held %d bytes%n",
                    SOCKETS,
                    SOCKETS,
                    chatDuringHeads,
                    chatDuringBodies,
                    apiDuringHeads,
                    apiDuringBodies,
                    bufferedBytes());
            assertThat(List.of(chatDuringHeads, chatDuringBodies, apiDuringHeads, apiDuringBodies))
                    .allSatisfy(millis -> assertThat(millis).isLessThan(1_000));
        } finally {
            v1.forEach(RawClient::close);
            api.forEach(RawClient::close);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> bufferedBytes() == 0);
    }
}
