package io.sage.studio.chat.switching;

import static io.restassured.RestAssured.given;
import static io.sage.studio.chat.support.Engines.BASE_A;
import static io.sage.studio.chat.support.Engines.BASE_B;
import static io.sage.studio.chat.support.Faults.Target.ANY;
import static io.sage.studio.chat.support.Faults.Target.NEW;
import static io.sage.studio.chat.support.Faults.Target.OLD;
import static io.sage.studio.chat.support.Switches.awaitEnd;
import static io.sage.studio.chat.support.Switches.current;
import static io.sage.studio.chat.support.Switches.serve;
import static io.sage.studio.chat.support.Switches.start;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.runtime.OpenAiProbe;
import io.sage.studio.chat.runtime.ServingRuntime;
import io.sage.studio.chat.runtime.local.LocalProcessRuntime;
import io.sage.studio.chat.support.Engines;
import io.sage.studio.chat.support.Faults;
import io.sage.studio.chat.support.LocalEnvironment;
import io.sage.studio.chat.support.RouteWatcher;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.common.engine.EngineApiKey;
import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * An unexpected {@link RuntimeException} at each step of each strategy, with real engines and the real broker: every
 * switch still ends in a consistent route — the route on the topic names an engine that runs and answers with the
 * model it names, no other engine is left running, the service's own view agrees, and the operation says completed
 * exactly when the target serves.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(LocalEnvironment.class)
class SwitchFaultTest {

    private static RouteWatcher routes;
    private final Faults faults = new Faults();

    @Inject
    ChatConfig config;

    @Inject
    EngineApiKey apiKey;

    @Inject
    LocalProcessRuntime local;

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
    }

    /** strategy, faulty call, engine it hits, the model that must serve afterwards ({@code null}: either). */
    static Stream<Arguments> steps() {
        return Stream.of(
                arguments("blue-green", "start", NEW, BASE_A),
                arguments("blue-green", "liveness", NEW, BASE_A),
                arguments("blue-green", "health", NEW, BASE_A),
                arguments("blue-green", "models", NEW, BASE_A),
                arguments("blue-green", "smoke", NEW, BASE_A),
                arguments("blue-green", "name", ANY, BASE_A),
                arguments("blue-green", "inFlight", OLD, BASE_B),
                arguments("blue-green", "stop", OLD, BASE_B),
                arguments("recreate", "inFlight", OLD, BASE_A),
                arguments("recreate", "stop", OLD, BASE_A),
                arguments("recreate", "start", NEW, BASE_A),
                arguments("recreate", "liveness", NEW, null),
                arguments("recreate", "health", NEW, null),
                arguments("recreate", "models", NEW, BASE_B),
                arguments("recreate", "smoke", NEW, BASE_B),
                arguments("recreate", "name", ANY, BASE_B));
    }

    @ParameterizedTest(name = "{0}: {1} ({2} engine)")
    @MethodSource("steps")
    void aSwitchToAnotherModelEndsInAConsistentRouteWhateverStepFails(
            String strategy, String method, Faults.Target target, String expected) {
        serve(Map.of("model", BASE_A));
        install();
        armAgainstTheServingEngine(method, target);

        JsonPath op = awaitEnd(start(Map.of("model", BASE_B, "strategy", strategy)));

        assertThat(faults.fired()).as("the fault fired").isPresent();
        assertConsistent(op, BASE_B, expected);
    }

    /** faulty call, engine it hits, whether the adapter serves afterwards. */
    static Stream<Arguments> hotLoadSteps() {
        return Stream.of(
                arguments("loadLora", OLD, false),
                arguments("models", OLD, false),
                arguments("smoke", OLD, false),
                arguments("name", ANY, false));
    }

    @ParameterizedTest(name = "lora-hot-load: {0} ({1} engine)")
    @MethodSource("hotLoadSteps")
    void aHotLoadEndsInAConsistentRouteWhateverStepFails(String method, Faults.Target target, boolean adapterServes) {
        serve(Map.of("model", BASE_A));
        String oldBaseUrl = current().getString("base_url");
        Path lora = Engines.adapterDir(
                LocalEnvironment.home().resolve("studio_finetune/t-fault-" + method + "/lora"), 8, BASE_A);
        install();
        armAgainstTheServingEngine(method, target);

        JsonPath op = awaitEnd(start(Map.of("model", lora.toString(), "strategy", "lora-hot-load")));

        assertThat(faults.fired()).isPresent();
        String served = "ft-t-fault-" + method;
        assertConsistent(op, served, adapterServes ? served : BASE_A);
        assertThat(current().getString("base_url")).isEqualTo(oldBaseUrl);
        assertThat(given().get("/api/chat/backends")
                        .then()
                        .extract()
                        .jsonPath()
                        .getList("[0].adapters.name", String.class))
                .doesNotContain(served);
    }

    static Stream<Arguments> adapterDrainSteps() {
        return Stream.of(arguments("inFlight", OLD), arguments("unloadLora", OLD));
    }

    @ParameterizedTest(name = "lora-hot-load from an adapter: {0} ({1} engine)")
    @MethodSource("adapterDrainSteps")
    void aFailureWhileTheOldAdapterDrainsKeepsTheNewOneServing(String method, Faults.Target target) {
        serve(Map.of("model", BASE_A));
        Path first = Engines.adapterDir(
                LocalEnvironment.home().resolve("studio_finetune/t-drain1-" + method + "/lora"), 8, BASE_A);
        Path second = Engines.adapterDir(
                LocalEnvironment.home().resolve("studio_finetune/t-drain2-" + method + "/lora"), 8, BASE_A);
        serve(Map.of("model", first.toString()));
        install();
        armAgainstTheServingEngine(method, target);

        JsonPath op = awaitEnd(start(Map.of("model", second.toString(), "strategy", "lora-hot-load")));

        assertThat(faults.fired()).isPresent();
        assertConsistent(op, "ft-t-drain2-" + method, "ft-t-drain2-" + method);
    }

    private void armAgainstTheServingEngine(String method, Faults.Target target) {
        JsonPath engine = given().get("/api/chat/backends").then().extract().jsonPath();
        faults.arm(
                method,
                target,
                engine.getString("[0].id"),
                engine.getString("[0].base_url"),
                engine.getLong("[0].pid"));
    }

    private void install() {
        QuarkusMock.installMockForType(faults.runtime(local), ServingRuntime.class);
        QuarkusMock.installMockForType(faults.probe(config, apiKey), OpenAiProbe.class);
    }

    /**
     * The route on the topic is ACTIVE and names the only engine left, which runs and answers as the model it names; the
     * service reports the same route; the operation completed exactly when the target serves.
     */
    private void assertConsistent(JsonPath op, String target, String expected) {
        Switches.awaitIdle();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            ChatBackendEvent route = routes.latest();
            assertThat(route.state()).isEqualTo(ChatBackendEvent.State.ACTIVE);
            JsonPath backends = given().get("/api/chat/backends")
                    .then()
                    .statusCode(200)
                    .extract()
                    .jsonPath();
            assertThat(backends.getList("id", String.class))
                    .containsExactly(route.backend().id());
            assertThat(ProcessHandle.of(backends.getLong("[0].pid"))
                            .map(ProcessHandle::isAlive)
                            .orElse(false))
                    .isTrue();
            assertThat(Engines.chat(route.backend().baseUrl(), route.backend().servedModelName(), apiKey.getOrCreate()))
                    .contains("[" + route.backend().servedModelName() + "]");
            JsonPath current = current();
            assertThat(current.getString("state")).isEqualTo("active");
            assertThat(current.getString("base_url")).isEqualTo(route.backend().baseUrl());
            assertThat(current.getString("served_model_name"))
                    .isEqualTo(route.backend().servedModelName());
        });
        String served = routes.latest().backend().servedModelName();
        if (expected != null) {
            assertThat(served).isEqualTo(expected);
        }
        assertThat(op.getString("state"))
                .as(op.getString("error") + " / " + op.getList("steps.message"))
                .isEqualTo(served.equals(target) ? "completed" : "failed");
        assertThat(List.of(op.getString("state"))).doesNotContain("pending", "starting", "routing");
    }
}
