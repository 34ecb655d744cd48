package io.sage.studio.gateway.openai;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

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

/**
 * With an engine API key configured ({@code studio.engines.api-key}), the studio's engines require it (vLLM's
 * {@code --api-key}) and the gateway sends exactly {@code Bearer <key>} on every request to them, streams included,
 * never the client's credentials; a cloud backend gets the cloud key and never the engine key.
 */
@QuarkusTest
@TestProfile(EngineKeyTest.ConfiguredKey.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StandInServices.class, scope = TestResourceScope.GLOBAL)
class EngineKeyTest {

    static final String ENGINE_KEY = "sk-engine-" + UUID.randomUUID();
    private static final String CHAT =
            "{\"model\":\"sage-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    public static class ConfiguredKey implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("studio.engines.api-key", ENGINE_KEY);
        }
    }

    private static StandInBackend engine;

    @BeforeAll
    static void startEngine() {
        engine = StandInBackend.start("qwen-keyed");
    }

    @AfterAll
    static void stopEngine() throws Exception {
        engine.close();
    }

    @BeforeEach
    void route() {
        engine.reset();
        engine.requireKey(ENGINE_KEY);
        RoutePublisher.active(engine, "finetuned", "qwen keyed");
    }

    @Test
    void everyRequestToAnEngineCarriesExactlyTheEngineKey() throws Exception {
        given().contentType(ContentType.JSON)
                .header("Authorization", "Bearer sk-client-key")
                .body(CHAT)
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .body("choices[0].message.content", equalTo("hello from qwen-keyed"));
        given().get("/v1/custom/thing").then().statusCode(200);
        try (Http.Stream stream = Http.open(
                Http.post("/v1/chat/completions", "{\"model\":\"sage-chat\",\"stream\":true,\"messages\":[]}"))) {
            assertThat(stream.response().statusCode()).isEqualTo(200);
            assertThat(stream.rest()).endsWith("data: [DONE]");
        }
        assertThat(engine.received())
                .hasSize(3)
                .allSatisfy(received ->
                        assertThat(received.headers().getAll("Authorization")).containsExactly("Bearer " + ENGINE_KEY));
    }

    @Test
    @Timeout(30)
    void theKeyNeverReachesTheClientNorACloudBackend() {
        String answer = given().contentType(ContentType.JSON)
                .body(CHAT)
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        assertThat(answer).doesNotContain(ENGINE_KEY);
        given().get("/api/gateway/status").then().statusCode(200).body(not(containsString(ENGINE_KEY)));

        StandInBackend cloud = StandInServices.cloud();
        cloud.reset();
        RoutePublisher.active(cloud, "cloud", "gpt-4o-mini");
        given().contentType(ContentType.JSON)
                .body("{\"model\":\"gpt-4o-mini\",\"messages\":[]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200);
        assertThat(cloud.last().headers().getAll("Authorization"))
                .isEqualTo(List.of("Bearer " + StandInServices.CLOUD_API_KEY));
    }

    @Test
    void anEngineThatRequiresAKeyRefusesRequestsWithoutIt() {
        // The stand-in obeys vLLM's rule: the gateway's key is what lets the requests above through.
        assertThat(Http.send(HttpRequest.newBuilder(URI.create(engine.baseUrl() + "/v1/models"))
                                .timeout(Duration.ofSeconds(10))
                                .GET()
                                .build())
                        .statusCode())
                .isEqualTo(401);
    }
}
