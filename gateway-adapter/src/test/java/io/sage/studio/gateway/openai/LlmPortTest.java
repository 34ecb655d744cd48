package io.sage.studio.gateway.openai;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import io.sage.studio.gateway.support.RoutePublisher;
import io.sage.studio.gateway.support.StandInBackend;
import io.sage.studio.gateway.support.StandInServices;
import io.sage.studio.kafka.KafkaTestResource;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;

/**
 * The second listener ({@code studio.gateway.llm-port}, the seed's stable {@code http://localhost:8001/v1}): {@code /v1}
 * through the main port's handler chain (route table, guard, limits), whatever engine serves; every other path a
 * 404 in OpenAI's shape. The port is a free one picked by the system, never 8001.
 */
@QuarkusTest
@TestProfile(LlmPortTest.WithLlmPort.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StandInServices.class, scope = TestResourceScope.GLOBAL)
class LlmPortTest {

    private static final String CHAT =
            "{\"model\":\"sage-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    public static class WithLlmPort implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("studio.gateway.llm-port", "0", "studio.gateway.max-request-size", "4K");
        }
    }

    private static StandInBackend first;
    private static StandInBackend second;

    @Inject
    LlmPortListener listener;

    @BeforeAll
    static void startBackends() {
        first = StandInBackend.start("llm-port-a");
        second = StandInBackend.start("llm-port-b");
    }

    @AfterAll
    static void stopBackends() throws Exception {
        first.close();
        second.close();
    }

    @BeforeEach
    void routeToTheFirst() {
        first.reset();
        second.reset();
        RoutePublisher.active(first);
    }

    private RequestSpecification llmPort() {
        return given().port(listener.port().orElseThrow());
    }

    @Test
    void theLlmPortIsBoundToAPortOfItsOwn() {
        assertThat(listener.port()).isPresent();
        assertThat(listener.port().getAsInt()).isNotEqualTo(io.restassured.RestAssured.port);
    }

    @Test
    void modelsAndChatAnswerOnTheLlmPortAndFollowASwitchToAnotherEngine() {
        llmPort()
                .get("/v1/models")
                .then()
                .statusCode(200)
                .header(OpenAiProxy.MODEL_HEADER, "llm-port-a")
                .body("data.id", hasItem("llm-port-a"));
        llmPort()
                .contentType(ContentType.JSON)
                .body(CHAT)
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .header(OpenAiProxy.BACKEND_HEADER, "standin-llm-port-a")
                .body("choices[0].message.content", equalTo("hello from llm-port-a"));
        assertThat(first.last().json().getString("model")).isEqualTo("llm-port-a");

        // A switch moves the engine (blue-green: another port); the stable URL follows it.
        RoutePublisher.active(second);
        llmPort()
                .contentType(ContentType.JSON)
                .body(CHAT)
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .header(OpenAiProxy.MODEL_HEADER, "llm-port-b")
                .body("choices[0].message.content", equalTo("hello from llm-port-b"));
        llmPort().get("/v1/models").then().statusCode(200).body("data.id", hasItem("llm-port-b"));
    }

    @Test
    void everyPathOutsideV1IsAJson404ThatSaysThePortServesOnlyV1() {
        for (String path : new String[] {
            "/", "/index.html", "/api/gateway/status", "/q/health/ready", "/v10/models", "/v1/../api/gateway/status"
        }) {
            llmPort()
                    .urlEncodingEnabled(false)
                    .get(path)
                    .then()
                    .statusCode(404)
                    .contentType(ContentType.JSON)
                    .body("error.code", equalTo("not_found"))
                    .body("error.type", equalTo("invalid_request_error"))
                    .body("error.message", containsString("only the OpenAI-compatible API under /v1"));
        }
        llmPort()
                .contentType(ContentType.JSON)
                .body("{}")
                .post("/api/finetune/create")
                .then()
                .statusCode(404)
                .body("error.code", equalTo("not_found"));
        // The main port still serves them.
        given().get("/api/gateway/status").then().statusCode(200);
    }

    @Test
    void theHostAndOriginGuardAndTheBodyLimitApplyOnTheLlmPort() {
        llmPort()
                .header("Host", "rebound.evil.example")
                .get("/v1/models")
                .then()
                .statusCode(421)
                .body("error.code", equalTo("host_not_allowed"));
        llmPort()
                .header("Origin", "https://evil.example")
                .contentType(ContentType.JSON)
                .body(CHAT)
                .post("/v1/chat/completions")
                .then()
                .statusCode(403)
                .body("error.code", equalTo("cross_origin_request"));
        llmPort()
                .contentType(ContentType.JSON)
                .body("{\"model\":\"sage-chat\",\"prompt\":\"" + "x".repeat(5000) + "\"}")
                .post("/v1/completions")
                .then()
                .statusCode(413)
                .body("error.code", equalTo("request_too_large"));
        assertThat(first.received()).isEmpty();
    }

    @Test
    void aTakenPortFailsWithAMessageNamingTheSetting() throws IOException {
        Vertx vertx = Vertx.vertx();
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            HttpServerOptions options =
                    new HttpServerOptions().setHost("127.0.0.1").setPort(taken.getLocalPort());
            assertThatThrownBy(() -> LlmPortListener.listen(vertx, options, 2, request -> {}))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("studio.gateway.llm-port")
                    .hasMessageContaining(":" + taken.getLocalPort())
                    .hasMessageContaining("SAGE_STUDIO_LLM_PORT");
        } finally {
            vertx.close();
        }
    }

    @Test
    void onlyV1PathsAsTheRouterNormalisesThemGoToTheEdge() {
        assertThat(LlmPortListener.openAiPath("/v1")).isTrue();
        assertThat(LlmPortListener.openAiPath("/v1/models")).isTrue();
        assertThat(LlmPortListener.openAiPath("/v1//chat/completions")).isTrue();
        assertThat(LlmPortListener.openAiPath("/%76%31/models")).isTrue();
        assertThat(LlmPortListener.openAiPath("/v1/../api/finetune/create")).isFalse();
        assertThat(LlmPortListener.openAiPath("/v1/%2E%2E/api/finetune/create")).isFalse();
        assertThat(LlmPortListener.openAiPath("/v10")).isFalse();
        assertThat(LlmPortListener.openAiPath("/")).isFalse();
        assertThat(LlmPortListener.openAiPath("*")).isFalse();
        assertThat(LlmPortListener.openAiPath(null)).isFalse();
    }
}
