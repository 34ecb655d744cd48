package io.sage.studio.chat.switching;

import static io.restassured.RestAssured.given;
import static io.sage.studio.chat.support.Engines.BASE_B;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.sage.studio.chat.support.InitialModelEnvironment;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.kafka.KafkaTestResource;

/** With the recorded engine dead, the service starts {@code studio.chat.initial-model} on its own. */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(InitialModelEnvironment.class)
class InitialModelTest {

    @Test
    void theInitialModelServesWhenTheRecordedEngineIsGone() {
        Switches.awaitServiceReady();
        await().atMost(Duration.ofSeconds(60))
                .until(() -> BASE_B.equals(Switches.current().getString("current_model"))
                        && Switches.current().getBoolean("llm_service_running"));

        JsonPath startup = given().get("/api/chat/switch?limit=1")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(startup.getString("[0].requested_by")).isEqualTo("startup");
        assertThat(startup.getString("[0].state")).isEqualTo("completed");
        assertThat(given().get("/api/chat/backends").then().extract().jsonPath().getList("served_model_name"))
                .containsExactly(BASE_B);
        assertThat(Switches.current().getLong("revision")).isGreaterThan(7);
    }
}
