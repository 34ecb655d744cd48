package io.sage.studio.chat.switching;

import static io.restassured.RestAssured.given;
import static io.sage.studio.chat.support.Engines.BASE_A;
import static io.sage.studio.chat.support.Engines.BASE_B;
import static io.sage.studio.chat.support.Switches.awaitEnd;
import static io.sage.studio.chat.support.Switches.serve;
import static io.sage.studio.chat.support.Switches.start;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.messaging.BackendTopic;
import io.sage.studio.chat.messaging.RoutePublisher;
import io.sage.studio.chat.state.ChatState;
import io.sage.studio.chat.state.GatewaySync;
import io.sage.studio.chat.support.Engines;
import io.sage.studio.chat.support.FlakyRoutes;
import io.sage.studio.chat.support.PublishFaultEnvironment;
import io.sage.studio.chat.support.RouteWatcher;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.kafka.KafkaTestResource;
import io.smallrye.reactive.messaging.MutinyEmitter;

/**
 * Route events Kafka does not acknowledge within {@code route-publish-timeout} (3 s here): never written (the broker is
 * unavailable until the producer gives up), or written but acknowledged too late (the ambiguous case). Whatever the
 * step, chat ends on a running engine — never on a stopped one, never stuck at SWITCHING — and while the route is in
 * doubt no engine a gateway may follow is stopped; the monitor publishes the route to keep once Kafka acknowledges.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(PublishFaultEnvironment.class)
class RoutePublishFailureTest {

    private static RouteWatcher routes;

    @Inject
    @Channel("chat-backend")
    MutinyEmitter<ChatBackendEvent> emitter;

    @Inject
    ChatState state;

    @Inject
    BackendTopic topic;

    @Inject
    Instance<GatewaySync> gateways;

    @Inject
    ChatConfig config;

    private FlakyRoutes kafka;

    @BeforeAll
    static void followRoutes() {
        routes = new RouteWatcher();
    }

    @AfterAll
    static void stopFollowing() {
        routes.close();
    }

    @BeforeEach
    void ready() {
        Switches.awaitServiceReady();
        kafka = new FlakyRoutes(emitter);
        QuarkusMock.installMockForType(new RoutePublisher(kafka, state, topic, gateways, config), RoutePublisher.class);
    }

    @Test
    void aBlueGreenRouteThatIsNeverAcknowledgedKeepsBothEnginesUntilTheOldRouteIsPublishedAgain() {
        serve(Map.of("model", BASE_A));
        String oldId = backends().getString("[0].id");
        long revision = routes.revision();
        int mark = routes.mark();

        kafka.misbehave(FlakyRoutes.Mode.LOST, 1, Integer.MAX_VALUE / 2);
        JsonPath op = awaitEnd(start(Map.of("model", BASE_B, "strategy", "blue-green")));

        assertThat(op.getString("state")).isEqualTo("failed");
        assertThat(op.getString("error"))
                .contains("cannot publish the route on Kafka within 3 s", "every engine keeps running");
        JsonPath both = backends();
        assertThat(both.getList("id", String.class)).hasSize(2).contains(oldId);
        assertThat(both.getList("pid", Long.class)).allMatch(RoutePublishFailureTest::alive);
        long newPid = both.getList("findAll { it.id != '" + oldId + "' }.pid", Long.class)
                .get(0);
        assertThat(routes.revision()).isEqualTo(revision);

        kafka.heal();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(routes.latest().revision()).isGreaterThan(revision);
            assertThat(routes.latest().backend().id()).isEqualTo(oldId);
            assertThat(backends().getList("id", String.class)).containsExactly(oldId);
            assertThat(alive(newPid)).isFalse();
        });
        assertThat(routes.after(mark)).extracting(e -> e.backend().id()).containsOnly(oldId);
        assertServes(BASE_A);
    }

    @Test
    void aBlueGreenRouteWrittenButAcknowledgedTooLateIsReplacedByTheOldOneBeforeTheNewEngineStops() {
        serve(Map.of("model", BASE_A));
        String oldId = backends().getString("[0].id");
        long revision = routes.revision();
        int mark = routes.mark();

        kafka.misbehave(FlakyRoutes.Mode.LATE_ACK, 1, 1);
        JsonPath op = awaitEnd(start(Map.of("model", BASE_B, "strategy", "blue-green")));

        assertThat(op.getString("state")).isEqualTo("failed");
        assertThat(op.getString("error"))
                .contains("cannot publish the route on Kafka within 3 s", BASE_A + " on " + oldId + " holds");
        assertThat(op.getBoolean("rolled_back")).isTrue();
        List<ChatBackendEvent> events = routes.after(mark);
        assertThat(events).hasSize(2);
        assertThat(events.get(0).backend().servedModelName()).isEqualTo(BASE_B);
        assertThat(events.get(1).backend().id()).isEqualTo(oldId);
        assertThat(backends().getList("id", String.class)).containsExactly(oldId);
        assertServes(BASE_A);
    }

    @Test
    void aRecreateWhoseSwitchingRouteIsNeverAcknowledgedKeepsTheOldEngineServing() {
        serve(Map.of("model", BASE_A));
        String oldId = backends().getString("[0].id");
        long oldPid = backends().getLong("[0].pid");
        long revision = routes.revision();
        int mark = routes.mark();

        kafka.misbehave(FlakyRoutes.Mode.LOST, 1, Integer.MAX_VALUE / 2);
        JsonPath op = awaitEnd(start(Map.of("model", BASE_B, "strategy", "recreate")));

        assertThat(op.getString("state")).isEqualTo("failed");
        assertThat(op.getString("error")).contains("cannot publish the route on Kafka");
        assertThat(alive(oldPid)).isTrue();
        assertThat(backends().getList("id", String.class)).containsExactly(oldId);

        kafka.heal();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(routes.latest().revision()).isGreaterThan(revision);
            assertThat(routes.latest().backend().id()).isEqualTo(oldId);
        });
        assertThat(routes.after(mark)).extracting(ChatBackendEvent::state).containsOnly(ChatBackendEvent.State.ACTIVE);
        assertThat(alive(oldPid)).isTrue();
        assertServes(BASE_A);
    }

    @Test
    void aRecreateWhoseFinalRouteIsNeverAcknowledgedEndsOnTheNewEngineNotStuckAtSwitching() {
        serve(Map.of("model", BASE_A));
        long oldPid = backends().getLong("[0].pid");
        long revision = routes.revision();
        int mark = routes.mark();

        kafka.misbehave(FlakyRoutes.Mode.LOST, 2, Integer.MAX_VALUE / 2);
        JsonPath op = awaitEnd(start(Map.of("model", BASE_B, "strategy", "recreate")));

        assertThat(op.getString("state")).isEqualTo("failed");
        assertThat(op.getString("error"))
                .contains("cannot publish the route on Kafka", "as soon as Kafka acknowledges the route");
        assertThat(alive(oldPid)).isFalse();
        JsonPath engines = backends();
        assertThat(engines.getList("id")).hasSize(1);
        String newId = engines.getString("[0].id");
        assertThat(routes.latest().state()).isEqualTo(ChatBackendEvent.State.SWITCHING);

        kafka.heal();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(routes.latest().state()).isEqualTo(ChatBackendEvent.State.ACTIVE);
            assertThat(routes.latest().backend().id()).isEqualTo(newId);
        });
        assertThat(routes.after(mark))
                .extracting(ChatBackendEvent::state)
                .containsExactly(ChatBackendEvent.State.SWITCHING, ChatBackendEvent.State.ACTIVE);
        assertServes(BASE_B);
    }

    private static void assertServes(String model) {
        ChatBackendEvent route = routes.latest();
        assertThat(route.state()).isEqualTo(ChatBackendEvent.State.ACTIVE);
        assertThat(route.backend().servedModelName()).isEqualTo(model);
        assertThat(Engines.chat(route.backend().baseUrl(), model, Engines.apiKey(PublishFaultEnvironment.home())))
                .contains("[" + model + "]");
        JsonPath current = Switches.current();
        assertThat(current.getString("state")).isEqualTo("active");
        assertThat(current.getString("base_url")).isEqualTo(route.backend().baseUrl());
    }

    private static JsonPath backends() {
        return given().get("/api/chat/backends")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
