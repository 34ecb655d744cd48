package io.sage.studio.gateway.routing;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sage.studio.gateway.openai.OpenAiProxy;
import io.sage.studio.gateway.support.Http;
import io.sage.studio.gateway.support.RoutePublisher;
import io.sage.studio.gateway.support.StandInBackend;
import io.sage.studio.gateway.support.StandInServices;
import io.sage.studio.kafka.KafkaTestResource;

@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StandInServices.class, scope = TestResourceScope.GLOBAL)
class RouteFollowingTest {

    private static final String CHAT =
            "{\"model\":\"sage-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private static StandInBackend base;
    private static StandInBackend finetuned;

    @BeforeAll
    static void startBackends() {
        base = StandInBackend.start("qwen-base");
        finetuned = StandInBackend.start("qwen-ft-7");
    }

    @AfterAll
    static void stopBackends() throws Exception {
        base.close();
        finetuned.close();
    }

    @BeforeEach
    void reset() {
        base.reset();
        finetuned.reset();
    }

    @Test
    @Timeout(30)
    void aSwitchEventRoutesTheNextRequestWhileTheOneInFlightFinishesWhereItStarted() throws Exception {
        RoutePublisher.active(base);
        base.holdStreams();
        try (Http.Stream inFlight = Http.open(
                Http.post("/v1/chat/completions", "{\"model\":\"sage-chat\",\"stream\":true,\"messages\":[]}"))) {
            assertThat(inFlight.nextLine()).contains("\"model\":\"qwen-base\"");

            String operation = RoutePublisher.active(finetuned);

            given().contentType(ContentType.JSON)
                    .body(CHAT)
                    .post("/v1/chat/completions")
                    .then()
                    .statusCode(200)
                    .header(OpenAiProxy.MODEL_HEADER, "qwen-ft-7")
                    .body("choices[0].message.content", equalTo("hello from qwen-ft-7"));
            assertThat(finetuned.last().json().getString("model")).isEqualTo("qwen-ft-7");
            given().get("/api/gateway/status")
                    .then()
                    .body("last_switch.operation_id", equalTo(operation))
                    .body("backend.served_model_name", equalTo("qwen-ft-7"))
                    .body("since", notNullValue());

            base.release();
            List<String> rest = inFlight.rest();
            assertThat(rest).last().isEqualTo("data: [DONE]");
            assertThat(rest.get(2)).contains("\" qwen-base\"");
            assertThat(inFlight.response().headers().firstValue(OpenAiProxy.MODEL_HEADER))
                    .hasValue("qwen-base");
        }
        given().get("/v1/models").then().body("data.id", hasItem("qwen-ft-7"));
        given().contentType(ContentType.JSON)
                .body("{\"model\":\"qwen-base\",\"messages\":[]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(404);
    }

    @Test
    void whileSwitchingChatAnswers503WithTheAnnouncedRetryAfter() {
        RoutePublisher.switching(42);
        given().contentType(ContentType.JSON)
                .body(CHAT)
                .post("/v1/chat/completions")
                .then()
                .statusCode(503)
                .header("Retry-After", "42")
                .body("error.type", equalTo("server_error"))
                .body("error.code", equalTo("backend_switching"));
        given().get("/v1/models").then().statusCode(503).header("Retry-After", "42");
        given().get("/api/gateway/status")
                .then()
                .body("state", equalTo("switching"))
                .body("retry_after_seconds", equalTo(42));
    }

    @Test
    void withNoBackendChatAnswers503InOpenAiShape() {
        RoutePublisher.none();
        given().contentType(ContentType.JSON)
                .body(CHAT)
                .post("/v1/chat/completions")
                .then()
                .statusCode(503)
                .header("Retry-After", notNullValue())
                .body("error.code", equalTo("no_backend"))
                .body("error.message", containsString("no chat model is active"));
        given().get("/api/gateway/status").then().body("state", equalTo("none"));
    }

    @Test
    void aCloudBackendGetsTheApiKeyServerSideAndTheClientNeverSeesIt() {
        StandInBackend cloud = StandInServices.cloud();
        RoutePublisher.active(cloud, "cloud", "gpt-4o-mini");
        String answer = given().contentType(ContentType.JSON)
                .header("Authorization", "Bearer browser-token")
                .body("{\"model\":\"gpt-4o-mini\",\"messages\":[]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        assertThat(cloud.last().headers().get("Authorization")).isEqualTo("Bearer " + StandInServices.CLOUD_API_KEY);
        assertThat(answer).doesNotContain(StandInServices.CLOUD_API_KEY);
        given().get("/api/gateway/status")
                .then()
                .statusCode(200)
                .body("cloud_api_key_configured", equalTo(true))
                .body(not(containsString(StandInServices.CLOUD_API_KEY)));
    }

    @Test
    void aCloudRouteToAnotherAddressIsRefusedAndTheKeyNeverLeaves() {
        finetuned.reset();
        RoutePublisher.active(finetuned, "cloud", "gpt-4o-mini");
        given().contentType(ContentType.JSON)
                .body("{\"model\":\"gpt-4o-mini\",\"messages\":[]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(503)
                .body("error.code", equalTo("backend_misconfigured"))
                .body("error.message", containsString("studio.chat.cloud.base-url"));
        assertThat(finetuned.received()).isEmpty();
    }

    @Test
    void theClientsCredentialsNeverReachALocalBackend() {
        RoutePublisher.active(base);
        given().contentType(ContentType.JSON)
                .header("Authorization", "Bearer sk-gateway-key")
                .body(CHAT)
                .post("/v1/chat/completions")
                .then()
                .statusCode(200);
        assertThat(base.last().headers().contains("Authorization")).isFalse();
    }

    @Test
    void readinessReportsTheChatRoute() {
        RoutePublisher.active(base);
        given().get("/q/health/ready")
                .then()
                .statusCode(200)
                .body("checks.find { it.name == 'chat-route' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'chat-route' }.data.model", equalTo("qwen-base"));
    }
}
