package io.sage.studio.gateway.openai;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

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
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.sage.studio.gateway.support.Http;
import io.sage.studio.gateway.support.RawBackend;
import io.sage.studio.gateway.support.RawBackend.Behaviour;
import io.sage.studio.gateway.support.RoutePublisher;
import io.sage.studio.gateway.support.StandInBackend;
import io.sage.studio.gateway.support.StandInServices;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * The edge with {@code studio.gateway.backend-client=vertx}: the reference client behaves as the default one does
 * (OpenAiProxyTest, LimitsTest, BackendReuseTest): answers and streams relayed, connections reused, a client's
 * disconnect cancels the backend's work, an unreachable backend is a 502, a broken one a 502, a silent one a 504.
 */
@QuarkusTest
@TestProfile(VertxBackendClientTest.VertxClient.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StandInServices.class, scope = TestResourceScope.GLOBAL)
class VertxBackendClientTest {

    private static final String CHAT =
            "{\"model\":\"sage-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    public static class VertxClient implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "studio.gateway.backend-client",
                    "vertx",
                    "studio.gateway.upstream-timeout",
                    "1s",
                    "quarkus.vertx.event-loops-pool-size",
                    "1");
        }
    }

    private static StandInBackend backend;

    @BeforeAll
    static void startBackend() {
        backend = StandInBackend.start("vertx-model");
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
    void answersAndStreamsAreRelayed() throws Exception {
        given().contentType(ContentType.JSON)
                .body(CHAT)
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .header(OpenAiProxy.MODEL_HEADER, "vertx-model")
                .body("object", equalTo("chat.completion"));
        try (Http.Stream stream = Http.open(
                Http.post("/v1/chat/completions", "{\"model\":\"sage-chat\",\"stream\":true,\"messages\":[]}"))) {
            assertThat(stream.response().headers().firstValue("content-type"))
                    .hasValueSatisfying(type -> assertThat(type).startsWith("text/event-stream"));
            assertThat(stream.nextLine()).contains("\"role\":\"assistant\"");
            List<String> rest = stream.rest();
            assertThat(rest).last().isEqualTo("data: [DONE]");
        }
    }

    @Test
    void requestsShareOneBackendConnection() throws Exception {
        try (RawBackend raw = RawBackend.start()) {
            RoutePublisher.active("raw-backend", raw.baseUrl(), "raw-model");
            raw.script((connection, request) -> Behaviour.ANSWER);
            for (int i = 0; i < 5; i++) {
                assertThat(Http.send(Http.post("/v1/chat/completions", CHAT)).statusCode())
                        .isEqualTo(200);
            }
            assertThat(raw.connections()).isEqualTo(1);
            assertThat(raw.received()).hasSize(5);
        }
    }

    @Test
    @Timeout(30)
    void clientDisconnectCancelsTheUpstreamRequest() throws Exception {
        backend.holdStreams();
        String body = "{\"model\":\"sage-chat\",\"stream\":true,\"messages\":[]}";
        try (Socket socket = new Socket("127.0.0.1", RestAssured.port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                            + "Content-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in =
                    new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String line;
            do {
                line = in.readLine();
            } while (line != null && !line.contains("data: "));
            assertThat(line).contains("\"role\":\"assistant\"");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.cancelledStreams() == 1);
        backend.release();
    }

    @Test
    void anUnreachableBackendIsA502() throws Exception {
        int deadPort;
        try (ServerSocket probe = new ServerSocket(0)) {
            deadPort = probe.getLocalPort();
        }
        RoutePublisher.active("dead-backend", "http://127.0.0.1:" + deadPort, "dead-model");
        given().contentType(ContentType.JSON)
                .body(CHAT)
                .post("/v1/chat/completions")
                .then()
                .statusCode(502)
                .body("error.code", equalTo("backend_unreachable"))
                .body("error.message", containsString("dead-backend"));
    }

    @Test
    void aBackendThatDropsTheRequestIsA502() throws Exception {
        try (RawBackend raw = RawBackend.start()) {
            RoutePublisher.active("raw-backend", raw.baseUrl(), "raw-model");
            raw.script((connection, request) -> Behaviour.DROP);
            given().contentType(ContentType.JSON)
                    .body(CHAT)
                    .post("/v1/chat/completions")
                    .then()
                    .statusCode(502)
                    .body("error.code", equalTo("backend_failed"));
        }
    }

    @Test
    void aSilentBackendTimesOutWith504() {
        backend.holdAnswers();
        given().contentType(ContentType.JSON)
                .body(CHAT)
                .post("/v1/chat/completions")
                .then()
                .statusCode(504)
                .body("error.code", equalTo("backend_timeout"));
        backend.release();
    }
}
