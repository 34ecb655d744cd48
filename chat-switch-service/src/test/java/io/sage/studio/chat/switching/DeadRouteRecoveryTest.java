package io.sage.studio.chat.switching;

import static io.restassured.RestAssured.given;
import static io.sage.studio.chat.support.Engines.BASE_A;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.sage.studio.chat.support.CrashEnvironments;
import io.sage.studio.chat.support.CrashEnvironments.DeadRoute;
import io.sage.studio.chat.support.Engines;
import io.sage.studio.chat.support.RouteWatcher;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * Restart after a {@code kill -9} that left the route on an engine that is gone: gateways are told to answer 503
 * (SWITCHING) at once instead of failing against the dead engine, and the model that served is started again.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(DeadRoute.class)
class DeadRouteRecoveryTest {

    @Test
    void gatewaysLeaveTheDeadEngineAtOnceAndThePreviousModelServesAgain() {
        Switches.awaitServiceReady();

        try (RouteWatcher routes = new RouteWatcher()) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                ChatBackendEvent route = routes.latest();
                assertThat(route.state()).isEqualTo(ChatBackendEvent.State.ACTIVE);
                assertThat(route.backend().id()).isNotEqualTo(CrashEnvironments.OLD_ID);
            });
            List<ChatBackendEvent> after =
                    routes.after(e -> CrashEnvironments.CRASHED_OP.equals(e.switchOperationId()));
            assertThat(after)
                    .extracting(ChatBackendEvent::state)
                    .containsExactly(ChatBackendEvent.State.SWITCHING, ChatBackendEvent.State.ACTIVE);
            ChatBackendEvent route = routes.latest();
            assertThat(route.backend().servedModelName()).isEqualTo(BASE_A);
            assertThat(Engines.chat(route.backend().baseUrl(), BASE_A, Engines.apiKey(DeadRoute.home())))
                    .contains("[" + BASE_A + "]");
        }
        JsonPath backends = given().get("/api/chat/backends")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(backends.getList("id")).hasSize(1).doesNotContain(CrashEnvironments.OLD_ID);
        assertThat(ProcessHandle.of(backends.getLong("[0].pid"))
                        .map(ProcessHandle::isAlive)
                        .orElse(false))
                .isTrue();
    }
}
