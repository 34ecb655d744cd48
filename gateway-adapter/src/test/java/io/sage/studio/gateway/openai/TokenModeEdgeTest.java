package io.sage.studio.gateway.openai;

import static io.restassured.RestAssured.given;
import static io.sage.studio.gateway.support.TokenModeProfile.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.sage.studio.gateway.support.ActiveStandIn;
import io.sage.studio.gateway.support.RoutePublisher;
import io.sage.studio.gateway.support.StandInServices;
import io.sage.studio.gateway.support.TokenModeProfile;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * With authentication on, {@code /v1} stays behind the studio's gate (only mode {@code none} takes the route
 * before it): no credentials is a 401, a studio token or a {@code /v1} API key gets through, and neither reaches
 * the model server.
 */
@QuarkusTest
@TestProfile(TokenModeEdgeTest.TokenMode.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StandInServices.class, scope = TestResourceScope.GLOBAL)
class TokenModeEdgeTest {

    private static final String API_KEY = "sk-edge-api-key-8b6d4f2a0c9e7a5b";
    private static final String CHAT =
            "{\"model\":\"sage-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    /** Token mode, a {@code /v1} API key, and the LLM port on a free port. */
    public static class TokenMode extends TokenModeProfile {
        @Override
        protected Map<String, String> more(Path dir) throws IOException {
            Path apiKeys = Files.writeString(
                    dir.resolve("api-keys.json"),
                    "{\"tokens\": [{\"name\": \"chat-app\", \"token\": \"" + API_KEY + "\"}]}");
            return Map.of("studio.auth.openai-api-keys-file", apiKeys.toString(), "studio.gateway.llm-port", "0");
        }
    }

    @RegisterExtension
    static final ActiveStandIn standIn = new ActiveStandIn("guarded-model");

    @Inject
    LlmPortListener llmPort;

    @BeforeAll
    static void readStatusAsAViewer() {
        RoutePublisher.statusToken(VIEWER);
    }

    @AfterAll
    static void readStatusWithoutCredentials() {
        RoutePublisher.statusToken(null);
    }

    @Test
    void withoutCredentialsTheEdgeAnswers401AndTheBackendSeesNothing() {
        given().contentType(ContentType.JSON)
                .body(CHAT)
                .post("/v1/chat/completions")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", containsString("Bearer"));
        given().contentType(ContentType.JSON)
                .body(CHAT)
                .header("Authorization", "Bearer not-a-token")
                .post("/v1/chat/completions")
                .then()
                .statusCode(401);
        assertThat(standIn.backend().arrived()).isZero();
    }

    @Test
    void aStudioTokenOrAnApiKeyChatsAndNeitherReachesTheModelServer() {
        for (String credential : new String[] {VIEWER, API_KEY}) {
            given().contentType(ContentType.JSON)
                    .body(CHAT)
                    .header("Authorization", "Bearer " + credential)
                    .post("/v1/chat/completions")
                    .then()
                    .statusCode(200)
                    .header(OpenAiProxy.MODEL_HEADER, "guarded-model")
                    .body("choices[0].message.content", equalTo("hello from guarded-model"));
            assertThat(standIn.backend().last().headers().get("Authorization")).isNull();
        }
    }

    @Test
    void theLlmPortIsBehindTheSameGate() {
        int port = llmPort.port().orElseThrow();
        given().port(port)
                .contentType(ContentType.JSON)
                .body(CHAT)
                .post("/v1/chat/completions")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", containsString("Bearer"));
        given().port(port).get("/v1/models").then().statusCode(401);
        assertThat(standIn.backend().arrived()).isZero();
        given().port(port)
                .contentType(ContentType.JSON)
                .body(CHAT)
                .header("Authorization", "Bearer " + API_KEY)
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .body("choices[0].message.content", equalTo("hello from guarded-model"));
        assertThat(standIn.backend().last().headers().get("Authorization")).isNull();
    }
}
