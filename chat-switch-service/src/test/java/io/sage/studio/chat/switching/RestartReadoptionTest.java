package io.sage.studio.chat.switching;

import static io.restassured.RestAssured.given;
import static io.sage.studio.chat.support.Engines.BASE_A;
import static io.sage.studio.chat.support.Switches.current;
import static io.sage.studio.chat.support.Switches.serve;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.sage.studio.chat.support.Engines;
import io.sage.studio.chat.support.ReadoptionEnvironment;
import io.sage.studio.chat.support.RouteWatcher;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * A restarted service finds the engine that served, keeps it serving, stops the orphan and continues the revisions.
 * Ordered: the first test sees the state exactly as the restart left it; the last one switches.
 */
@QuarkusTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(ReadoptionEnvironment.class)
class RestartReadoptionTest {

    @BeforeEach
    void ready() {
        Switches.awaitServiceReady();
    }

    @Test
    @Order(1)
    void theServingEngineIsReadoptedAndTheOrphanStopped() {
        JsonPath backends = given().get("/api/chat/backends")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(backends.getList("id")).containsExactly(ReadoptionEnvironment.ACTIVE_ID);
        assertThat(backends.getLong("[0].pid")).isEqualTo(ReadoptionEnvironment.activePid());
        assertThat(backends.getBoolean("[0].active")).isTrue();
        await().until(() -> !ProcessHandle.of(ReadoptionEnvironment.orphanPid())
                .map(ProcessHandle::isAlive)
                .orElse(false));

        try (RouteWatcher routes = new RouteWatcher()) {
            ChatBackendEvent route = routes.latest();
            assertThat(route.revision()).isGreaterThan(41);
            assertThat(route.state()).isEqualTo(ChatBackendEvent.State.ACTIVE);
            assertThat(route.backend().id()).isEqualTo(ReadoptionEnvironment.ACTIVE_ID);
        }
        assertThat(current().getString("current_model")).isEqualTo(BASE_A);
        assertThat(current().getBoolean("llm_service_running")).isTrue();
    }

    @Test
    @Order(2)
    void aSwitchThatARestartInterruptedIsReportedFailed() {
        given().get("/api/chat/switch/" + ReadoptionEnvironment.INTERRUPTED_OP)
                .then()
                .statusCode(200)
                .body("state", equalTo("failed"))
                .body("error", containsString("interrupted by a restart"));
    }

    @Test
    @Order(3)
    void theReadoptedEngineTakesAnAdapterWithoutARestart() {
        Path lora =
                Engines.adapterDir(ReadoptionEnvironment.home().resolve("studio_finetune/t-after/lora"), 16, BASE_A);
        ReadoptionEnvironment.finetune().task("t-after", "completed", BASE_A, Map.of("lora", lora.toString()));

        JsonPath op = serve(Map.of("task_id", "t-after"));

        assertThat(op.getString("strategy")).isEqualTo("lora-hot-load");
        assertThat(given().get("/api/chat/backends").then().extract().jsonPath().getLong("[0].pid"))
                .isEqualTo(ReadoptionEnvironment.activePid());
    }
}
