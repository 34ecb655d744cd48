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
import io.sage.studio.chat.support.CrashEnvironments;
import io.sage.studio.chat.support.CrashEnvironments.InterruptedRecreate;
import io.sage.studio.chat.support.Engines;
import io.sage.studio.chat.support.RouteWatcher;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * Restart after a {@code kill -9} in the middle of a recreate: the route said SWITCHING, the old engine is gone, the new
 * one runs. The service routes chat to the new engine (the same process, not started again) instead of leaving the
 * gateways at 503 or starting anything.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(InterruptedRecreate.class)
class InterruptedRecreateRecoveryTest {

    @Test
    void theRunningNewEngineIsAdoptedAndTakesTheRoute() {
        Switches.awaitServiceReady();

        try (RouteWatcher routes = new RouteWatcher()) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                ChatBackendEvent route = routes.latest();
                assertThat(route.revision()).isGreaterThan(InterruptedRecreate.revision());
                assertThat(route.state()).isEqualTo(ChatBackendEvent.State.ACTIVE);
                assertThat(route.backend().id()).isEqualTo(CrashEnvironments.NEW_ID);
            });
            assertThat(routes.after(e -> CrashEnvironments.CRASHED_OP.equals(e.switchOperationId())))
                    .extracting(ChatBackendEvent::state)
                    .containsOnly(ChatBackendEvent.State.ACTIVE);
            ChatBackendEvent route = routes.latest();
            assertThat(Engines.chat(route.backend().baseUrl(), BASE_B, Engines.apiKey(InterruptedRecreate.home())))
                    .contains("[" + BASE_B + "]");
        }
        JsonPath backends = given().get("/api/chat/backends")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(backends.getList("id")).containsExactly(CrashEnvironments.NEW_ID);
        assertThat(backends.getLong("[0].pid")).isEqualTo(InterruptedRecreate.freshPid());
        assertThat(backends.getString("[0].state")).isEqualTo("ready");
        JsonPath current = Switches.current();
        assertThat(current.getString("current_model")).isEqualTo(BASE_B);
        assertThat(current.getString("state")).isEqualTo("active");
        assertThat(given().get("/api/chat/switch?limit=5")
                        .then()
                        .extract()
                        .jsonPath()
                        .getList("id"))
                .isEmpty();
    }
}
