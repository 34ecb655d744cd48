package io.sage.studio.chat.rollout;

import static io.restassured.RestAssured.given;
import static io.sage.studio.chat.support.Engines.BASE_A;
import static io.sage.studio.chat.support.Switches.serve;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sage.studio.chat.support.Engines;
import io.sage.studio.chat.support.LocalEnvironment;
import io.sage.studio.chat.support.RouteWatcher;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.events.ChatTrafficEvent;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.kafka.KafkaTestResource;
import io.sage.studio.testkit.DashboardMetrics;

/**
 * Rollouts on the real service with real engines (the stand-in vLLM) and the real broker. The test plays the gateways:
 * it reads the split from the route topic and reports traffic on {@code studio.chat.traffic} as a gateway replica
 * does, with a healthy or a failing candidate.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(LocalEnvironment.class)
class RolloutTest {

    private static RouteWatcher routes;

    @BeforeAll
    static void followRoutes() {
        routes = new RouteWatcher();
    }

    @AfterAll
    static void stopFollowing() {
        routes.close();
    }

    /**
     * Leaves the app as the other tests of this environment expect it: no rollout, nothing served by name (engines
     * that serve a model by name outlive switches, so a left-over would keep an engine the next test does not know).
     */
    @AfterEach
    void cleanUp() {
        abortRunning();
        given().get("/api/chat/serving")
                .then()
                .extract()
                .jsonPath()
                .getList("models.findAll { !it.default }.model", String.class)
                .forEach(model ->
                        given().delete("/api/chat/serving/" + model).then().statusCode(200));
    }

    @BeforeEach
    void ready() {
        Switches.awaitServiceReady();
        abortRunning();
    }

    private static void abortRunning() {
        given().get("/api/chat/rollouts")
                .then()
                .extract()
                .jsonPath()
                .getList("findAll { it.state == 'running' }.rollout_id", String.class)
                .forEach(id -> given().post("/api/chat/rollouts/" + id + "/abort"));
    }

    @Test
    void aHealthyCanaryAdvancesStepByStepAndPromotesItself() {
        serve(Map.of("model", BASE_A));
        String candidate = serveByName("t-good");
        try (Gateway gateway = new Gateway()) {
            JsonPath started = start(candidate, Map.of("steps", List.of(10, 50, 100), "step_seconds", 1));
            assertThat(started.getString("state")).isEqualTo("running");
            assertThat(started.getString("baseline")).isEqualTo(BASE_A);
            String id = started.getString("rollout_id");

            await().atMost(Duration.ofSeconds(20)).until(() -> split() == 10);
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                gateway.report(BASE_A, 10, 0, 50);
                gateway.report(candidate, 5, 0, 50);
                return split() == 50;
            });
            JsonPath done = await().atMost(Duration.ofSeconds(20))
                    .until(
                            () -> {
                                gateway.report(BASE_A, 10, 0, 50);
                                gateway.report(candidate, 5, 0, 50);
                                return rollout(id);
                            },
                            r -> r.getString("state").equals("promoted"));

            assertThat(done.getInt("weight")).isEqualTo(100);
            assertThat(done.getList("history.event", String.class))
                    .containsSubsequence("started", "advanced", "advanced", "promoted");
            assertThat(done.getList("history.weight", Integer.class)).containsSubsequence(10, 50, 100);
            ChatBackendEvent route = routes.latest();
            assertThat(route.backend().servedModelName()).isEqualTo(candidate);
            assertThat(route.split()).isNull();
            assertThat(route.served())
                    .extracting(ChatBackendEvent.Backend::servedModelName)
                    .contains(BASE_A);

            String metrics =
                    given().get("/q/metrics").then().statusCode(200).extract().asString();
            assertThat(DashboardMetrics.missing(metrics, "studio_chat_rollout_"))
                    .isEmpty();
            assertThat(metrics)
                    .containsPattern("studio_chat_rollout_weight\\{arm=\"candidate\",model=\"" + candidate + "\"} 100")
                    .containsPattern("studio_chat_rollout_weight\\{arm=\"baseline\",model=\"" + BASE_A + "\"} 0")
                    .containsPattern("studio_chat_rollout_duration_seconds_count\\{outcome=\"promoted\"} [1-9]")
                    .containsPattern("studio_chat_rollout_steps_total\\{event=\"advanced\"} [1-9]");
        }
    }

    @Test
    void aCandidateFailingHalfItsRequestsIsRolledBackWithinTheStepAndStaysServedByName() {
        serve(Map.of("model", BASE_A));
        // Not served yet: the rollout serves it first.
        register("t-bad");
        String candidate = "ft-t-bad";
        try (Gateway gateway = new Gateway()) {
            JsonPath started = start("t-bad", Map.of("steps", List.of(10, 50, 100), "step_seconds", 60));
            assertThat(started.getString("model")).isEqualTo(candidate);
            assertThat(started.getList("history.event", String.class)).contains("serving");
            String id = started.getString("rollout_id");
            await().atMost(Duration.ofSeconds(20)).until(() -> split() == 10);
            Instant breach = Instant.now();
            JsonPath done = await().atMost(Duration.ofSeconds(20))
                    .until(
                            () -> {
                                gateway.report(BASE_A, 20, 0, 50);
                                gateway.report(candidate, 10, 5, 50);
                                return rollout(id);
                            },
                            r -> !r.getString("state").equals("running"));

            assertThat(done.getString("state")).isEqualTo("rolled_back");
            assertThat(done.getInt("weight")).isZero();
            assertThat(done.getString("reason")).contains("above the baseline");
            assertThat(Instant.parse(done.getString("finished_at"))).isBefore(breach.plusSeconds(10));
            assertThat(done.getLong("arms.candidate.errors")).isGreaterThanOrEqualTo(5);
            ChatBackendEvent route = routes.latest();
            assertThat(route.split()).isNull();
            assertThat(route.backend().servedModelName()).isEqualTo(BASE_A);
            assertThat(route.served())
                    .extracting(ChatBackendEvent.Backend::servedModelName)
                    .contains(candidate);
        }
    }

    @Test
    void oneRolloutAtATimeAndAnEndedOneCannotBePromotedOrAborted() {
        serve(Map.of("model", BASE_A));
        String candidate = serveByName("t-abort");
        String id = start(candidate, Map.of("step_seconds", 600)).getString("rollout_id");
        given().contentType(ContentType.JSON)
                .body(Map.of("model", candidate))
                .post("/api/chat/rollouts")
                .then()
                .statusCode(409)
                .body("error.code", equalTo("rollout_in_progress"))
                .body("error.details[0].rollout_id", equalTo(id));
        await().atMost(Duration.ofSeconds(20)).until(() -> split() == 10);

        given().post("/api/chat/rollouts/" + id + "/abort")
                .then()
                .statusCode(200)
                .body("state", equalTo("aborted"))
                .body("weight", equalTo(0));
        assertThat(routes.latest().split()).isNull();
        given().post("/api/chat/rollouts/" + id + "/promote")
                .then()
                .statusCode(409)
                .body("error.code", equalTo("rollout_finished"));
        given().get("/api/chat/rollouts/nope").then().statusCode(404).body("error.code", equalTo("rollout_not_found"));
        given().get("/api/chat/rollouts").then().statusCode(200).body("[0].rollout_id", equalTo(id));
    }

    @Test
    void badRequestsNameTheField() {
        serve(Map.of("model", BASE_A));
        rejected(Map.of("model", "x", "steps", List.of(10, 5, 100)), "steps");
        rejected(Map.of("model", "x", "steps", List.of(10, 50)), "steps");
        rejected(Map.of("model", "x", "step_seconds", 0), "step_seconds");
        rejected(Map.of("model", "x", "max_error_rate", 2), "max_error_rate");
        given().contentType(ContentType.JSON)
                .body(Map.of("model", BASE_A))
                .post("/api/chat/rollouts")
                .then()
                .statusCode(409)
                .body("error.code", equalTo("model_is_default"));
        given().contentType(ContentType.JSON)
                .body(Map.of("model", "never-registered"))
                .post("/api/chat/rollouts")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("unknown_model"));
    }

    private static void rejected(Map<String, Object> body, String field) {
        given().contentType(ContentType.JSON)
                .body(body)
                .post("/api/chat/rollouts")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("invalid_field"))
                .body("error.details[0].field", equalTo(field));
    }

    /**
     * Registers a LoRA adapter of BASE_A as a finished task and serves it by name (its serving operation ended: see
     * {@link Switches#serveByName}); its served name.
     */
    private static String serveByName(String taskId) {
        register(taskId);
        Switches.serveByName(Map.of("model", taskId));
        String name = "ft-" + taskId;
        assertThat(given().get("/api/chat/serving")
                        .then()
                        .extract()
                        .jsonPath()
                        .getList("models.findAll { it.state == 'ready' }.model"))
                .contains(name);
        return name;
    }

    /** A LoRA adapter of BASE_A as a completed task of the finetune stand-in. */
    private static void register(String taskId) {
        Path lora =
                Engines.adapterDir(LocalEnvironment.home().resolve("studio_finetune/" + taskId + "/lora"), 8, BASE_A);
        LocalEnvironment.finetune().task(taskId, "completed", BASE_A, Map.of("lora", lora.toString()));
    }

    private static JsonPath start(String model, Map<String, Object> more) {
        Map<String, Object> body = new java.util.HashMap<>(more);
        body.put("model", model);
        body.putIfAbsent("min_requests", 5);
        return given().contentType(ContentType.JSON)
                .body(body)
                .post("/api/chat/rollouts")
                .then()
                .statusCode(202)
                .extract()
                .jsonPath();
    }

    private static JsonPath rollout(String id) {
        return given().get("/api/chat/rollouts/" + id)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    /** The candidate's share in the latest route, -1 without a split. */
    private static int split() {
        ChatBackendEvent route = routes.latest();
        return route == null || route.split() == null ? -1 : route.split().weight();
    }

    /** One gateway replica reporting running totals, as the gateway-adapter does. */
    private static final class Gateway implements AutoCloseable {

        private final String id = "test-gw-" + System.nanoTime();
        private final Instant started = Instant.now();
        private final Map<String, long[]> totals = new ConcurrentHashMap<>();
        private final KafkaProducer<String, byte[]> producer;

        Gateway() {
            Properties p = new Properties();
            p.put(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    KafkaTestResource.broker().bootstrapServers());
            producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        }

        /** Adds requests (of which {@code errors} failed, all at {@code ttftMs}) to a model and publishes. */
        void report(String model, long requests, long errors, long ttftMs) throws Exception {
            long[] t = totals.computeIfAbsent(model, m -> new long[2 + ChatTrafficEvent.TTFT_BOUNDS_MS.size() + 1]);
            t[0] += requests;
            t[1] += errors;
            t[2 + ChatTrafficEvent.ttftBucket(ttftMs)] += requests;
            List<ChatTrafficEvent.ModelTraffic> models = new ArrayList<>();
            totals.forEach((name, v) -> models.add(new ChatTrafficEvent.ModelTraffic(
                    "engine",
                    name,
                    v[0],
                    v[1],
                    Arrays.stream(v, 2, v.length).boxed().toList())));
            ChatTrafficEvent event =
                    new ChatTrafficEvent(ChatTrafficEvent.SCHEMA_VERSION, id, started, Instant.now(), models);
            producer.send(CloudEvents.record(event, CloudEvents.source("test-gateway")))
                    .get();
            Thread.sleep(200);
        }

        @Override
        public void close() {
            producer.close();
        }
    }
}
