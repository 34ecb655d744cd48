package io.sage.studio.chat.switching;

import static io.restassured.RestAssured.given;
import static io.sage.studio.chat.support.Engines.BASE_A;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.sage.studio.chat.support.Engines;
import io.sage.studio.chat.support.RouteWatcher;
import io.sage.studio.chat.support.ServedRestartEnvironment;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * A restarted service keeps its serving set: the models served by name come back from {@code state.json}, go out with
 * the route again, and an adapter the engine lost meanwhile (it restarted in place) is loaded into it again.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(ServedRestartEnvironment.class)
class ServedRestartTest {

    @Test
    void theServingSetSurvivesARestartAndTheLostAdapterIsLoadedAgain() {
        Switches.awaitServiceReady();

        JsonPath view = given().get("/api/chat/serving")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(view.getString("default")).isEqualTo(BASE_A);
        assertThat(view.getList("models.model", String.class)).containsExactly(BASE_A, ServedRestartEnvironment.SERVED);
        assertThat(view.getString("models[1].engine")).isEqualTo(ServedRestartEnvironment.ENGINE_ID);
        assertThat(view.getString("models[1].kind")).isEqualTo("lora");

        try (RouteWatcher routes = new RouteWatcher()) {
            await().until(() -> routes.latest() != null && routes.latest().revision() > 7);
            ChatBackendEvent route = routes.latest();
            assertThat(route.backend().id()).isEqualTo(ServedRestartEnvironment.ENGINE_ID);
            assertThat(route.served())
                    .extracting(ChatBackendEvent.Backend::servedModelName)
                    .containsExactly(ServedRestartEnvironment.SERVED);
            String url = route.served().get(0).baseUrl();
            String key = Engines.apiKey(ServedRestartEnvironment.home());
            await().atMost(Duration.ofSeconds(20))
                    .ignoreExceptions()
                    .until(() -> Engines.chat(url, ServedRestartEnvironment.SERVED, key)
                            .contains("[" + ServedRestartEnvironment.SERVED + "]"));
        }
        assertThat(given().get("/api/chat/backends").then().extract().jsonPath().getLong("[0].pid"))
                .isEqualTo(ServedRestartEnvironment.enginePid());
    }
}
