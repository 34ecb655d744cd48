package io.sage.studio.chat.switching;

import static io.restassured.RestAssured.given;
import static io.sage.studio.chat.support.Broker.gpu;
import static io.sage.studio.chat.support.Broker.produce;
import static io.sage.studio.chat.support.Engines.BASE_A;
import static io.sage.studio.chat.support.Switches.serve;
import static io.sage.studio.chat.support.Switches.serveByName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

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
import io.sage.studio.chat.messaging.GpuTelemetry;
import io.sage.studio.chat.messaging.TrafficView;
import io.sage.studio.chat.support.Engines;
import io.sage.studio.chat.support.LocalEnvironment;
import io.sage.studio.chat.support.RouteWatcher;
import io.sage.studio.chat.support.ServingEnvironment;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.events.ChatTrafficEvent;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.events.Topics;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * The serving set with real engine processes (the stand-in vLLM, which follows vLLM's rules), the real broker and the
 * route topic read like a gateway: several fine-tunes addressable by name at once, least-recently-used unloading on a
 * full engine (two adapters at most here), engines of their own, capacity, unserving and an engine that died.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(ServingEnvironment.class)
class ServingSetTest {

    private static final long GIB = 1L << 30;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static RouteWatcher routes;

    @Inject
    GpuTelemetry telemetry;

    @Inject
    TrafficView traffic;

    @BeforeAll
    static void followRoutes() {
        routes = new RouteWatcher();
    }

    @AfterAll
    static void stopFollowing() {
        routes.close();
    }

    @BeforeEach
    void defaultIsTheBaseModel() {
        Switches.awaitServiceReady();
        serve(Map.of("model", BASE_A));
    }

    @AfterEach
    void unserveEverything() {
        Switches.awaitIdle();
        List<Map<String, Object>> models = serving().getList("models");
        for (Map<String, Object> model : models) {
            if (!Boolean.TRUE.equals(model.get("default"))) {
                given().delete("/api/chat/serving/" + model.get("model")).then().statusCode(200);
            }
        }
    }

    @Test
    void twoFineTunesOfOneBaseAnswerByNameAtOnceOnTheDefaultsEngine() throws Exception {
        lora("t-one", 8);
        lora("t-two", 16);

        JsonPath first = serveByName(Map.of("model", "t-one"));
        assertThat(first.getString("strategy")).isEqualTo("serve");
        assertThat(first.getList("steps.message", String.class))
                .anyMatch(m -> m.contains("one-token generation with ft-t-one"));
        given().contentType(ContentType.JSON)
                .body(Map.of("model", "t-two"))
                .queryParam("wait", true)
                .post("/api/chat/serving")
                .then()
                .statusCode(200)
                .body("model", equalTo("ft-t-two"))
                .body("state", equalTo("ready"));

        JsonPath view = serving();
        String engine = view.getString("engines[0].id");
        assertThat(view.getList("engines")).hasSize(1);
        assertThat(view.getList("engines[0].adapters.name", String.class))
                .containsExactlyInAnyOrder("ft-t-one", "ft-t-two");
        assertThat(view.getInt("engines[0].max_loras")).isEqualTo(2);
        assertThat(view.getString("default")).isEqualTo(BASE_A);
        assertThat(view.getList("models.model", String.class)).containsExactly(BASE_A, "ft-t-one", "ft-t-two");
        assertThat(view.getBoolean("models[0].default")).isTrue();
        assertThat(view.getString("models[1].kind")).isEqualTo("lora");
        assertThat(view.getString("models[1].state")).isEqualTo("ready");
        assertThat(view.getString("models[1].engine")).isEqualTo(engine);
        assertThat(view.getString("models[1].loaded_at")).isNotNull();

        ChatBackendEvent route = routes.latest();
        assertThat(route.backend().servedModelName()).isEqualTo(BASE_A);
        assertThat(route.served())
                .extracting(ChatBackendEvent.Backend::servedModelName)
                .containsExactly("ft-t-one", "ft-t-two");
        String url = route.served().get(0).baseUrl();
        assertThat(Engines.chat(url, "ft-t-one", key())).contains("[ft-t-one]");
        assertThat(Engines.chat(url, "ft-t-two", key())).contains("[ft-t-two]");
        assertThat(Engines.chat(url, BASE_A, key())).contains("[" + BASE_A + "]");

        // Served already: by its task id and by its served name.
        for (String name : List.of("t-one", "ft-t-one")) {
            given().contentType(ContentType.JSON)
                    .body(Map.of("model", name))
                    .post("/api/chat/serving")
                    .then()
                    .statusCode(200)
                    .body("model", equalTo("ft-t-one"))
                    .body("state", equalTo("ready"));
        }
    }

    @Test
    void aFullEngineUnloadsTheLeastRecentlyUsedAdapterButNeverTheDefault() throws Exception {
        lora("t-lru-a", 8);
        lora("t-lru-b", 8);
        lora("t-lru-c", 8);
        lora("t-lru-d", 8);
        serveByName(Map.of("model", "t-lru-a"));
        serveByName(Map.of("model", "t-lru-b"));
        // a was loaded first but used since; b was never used: b is the least recently used.
        used("ft-t-lru-a");

        JsonPath op = serveByName(Map.of("model", "t-lru-c"));

        assertThat(op.getList("steps.message", String.class))
                .anyMatch(m -> m.contains("engine") && m.contains("is full: unloading ft-t-lru-b"));
        String url = routes.latest().backend().baseUrl();
        assertThat(adapters(url)).containsExactlyInAnyOrder("ft-t-lru-a", "ft-t-lru-c");
        assertThat(serving().getList("models.model", String.class)).containsExactly(BASE_A, "ft-t-lru-a", "ft-t-lru-c");
        assertThat(routes.latest().served())
                .extracting(ChatBackendEvent.Backend::servedModelName)
                .containsExactly("ft-t-lru-a", "ft-t-lru-c");

        // a becomes the default (it is served by name: only the route changes); though now the least recently
        // touched, it stays and c goes.
        JsonPath toA = serve(Map.of("task_id", "t-lru-a"));
        assertThat(toA.getString("strategy")).isEqualTo("lora-hot-load");
        assertThat(toA.getList("steps.message", String.class)).anyMatch(m -> m.contains("is served by name on engine"));
        assertThat(serving().getString("default")).isEqualTo("ft-t-lru-a");
        assertThat(routes.latest().served())
                .extracting(ChatBackendEvent.Backend::servedModelName)
                .containsExactly("ft-t-lru-c");

        serveByName(Map.of("model", "t-lru-d"));

        assertThat(adapters(url)).containsExactlyInAnyOrder("ft-t-lru-a", "ft-t-lru-d");
        assertThat(Engines.chat(url, "ft-t-lru-a", key())).contains("[ft-t-lru-a]");
        assertThat(Engines.chat(url, "ft-t-lru-d", key())).contains("[ft-t-lru-d]");
    }

    @Test
    void aFullEngineWhoseAdaptersAreAllTheDefaultOrARolloutArmIsNoCapacity() {
        lora("t-pin-a", 8);
        lora("t-pin-b", 8);
        lora("t-pin-c", 8);
        serve(Map.of("task_id", "t-pin-a"));
        String rollout = given().contentType(ContentType.JSON)
                .body(Map.of("model", "t-pin-b", "step_seconds", 600, "min_requests", 1000))
                .post("/api/chat/rollouts")
                .then()
                .statusCode(202)
                .extract()
                .path("rollout_id");
        try {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> "ready".equals(serving().getString("models.find { it.model == 'ft-t-pin-b' }.state")));
            Switches.awaitIdle();
            String engine = serving().getString("engines[0].id");
            assertThat(serving().getList("engines[0].adapters.name", String.class))
                    .containsExactlyInAnyOrder("ft-t-pin-a", "ft-t-pin-b");

            given().contentType(ContentType.JSON)
                    .body(Map.of("model", "t-pin-c"))
                    .post("/api/chat/serving")
                    .then()
                    .statusCode(409)
                    .body("error.code", equalTo("no_capacity"))
                    .body("error.message", containsString("holds the default or a rollout arm"))
                    .body("error.details[0].engines[0]", equalTo(engine))
                    .body("error.details[0].max_cpu_loras", equalTo(2));
            assertThat(serving().getList("engines[0].adapters.name", String.class))
                    .containsExactlyInAnyOrder("ft-t-pin-a", "ft-t-pin-b");
        } finally {
            given().post("/api/chat/rollouts/" + rollout + "/abort").then().statusCode(200);
        }
    }

    @Test
    void aMergedModelGetsAnEngineOfItsOwnAndNoCapacityIsA409WithTheFigures() throws Exception {
        Path merged = merged("t-merged");
        String defaultEngine = routes.latest().backend().id();

        serveByName(Map.of("model", "t-merged"));

        JsonPath view = serving();
        assertThat(view.getList("engines")).hasSize(2);
        assertThat(view.getString("models.find { it.model == 'ft-t-merged-merged' }.kind"))
                .isEqualTo("merged");
        String own = view.getString("models.find { it.model == 'ft-t-merged-merged' }.engine");
        assertThat(own).isNotEqualTo(defaultEngine);
        assertThat(view.getString("engines.find { it.id == '" + own + "' }.base_model"))
                .isEqualTo(merged.toString());
        ChatBackendEvent.Backend byName = routes.latest().served().get(0);
        assertThat(byName.id()).isEqualTo(own);
        assertThat(Engines.chat(byName.baseUrl(), "ft-t-merged-merged", key())).contains("[ft-t-merged-merged]");

        merged("t-merged-2");
        String uuid = "GPU-" + UUID.randomUUID();
        try {
            gpu(uuid, 80 * GIB, 8 * GIB);
            await().until(() ->
                    telemetry.gpus().stream().anyMatch(g -> g.uuid().equals(uuid) && g.memoryFreeBytes() == 8 * GIB));
            given().contentType(ContentType.JSON)
                    .body(Map.of("model", "t-merged-2"))
                    .post("/api/chat/serving")
                    .then()
                    .statusCode(409)
                    .body("error.code", equalTo("no_capacity"))
                    .body("error.message", containsString("8.0 GiB free"))
                    .body("error.details[0].needed_bytes", equalTo(72 * GIB))
                    .body("error.details[0].gpus[0].free_bytes", equalTo(8 * GIB))
                    .body("error.details[0].gpus[0].uuid", equalTo(uuid));
            given().contentType(ContentType.JSON)
                    .body(Map.of("model", "t-merged-2", "on_demand", true))
                    .post("/api/chat/serving")
                    .then()
                    .statusCode(409)
                    .body("error.code", equalTo("not_loadable_on_demand"));
        } finally {
            produce(Topics.GPU_TELEMETRY, GpuTelemetryEvent.keyOf(LocalEnvironment.node(), uuid), null, null);
        }
        assertThat(serving().getList("engines")).hasSize(2);
    }

    @Test
    void unservingRefusesTheDefaultUnloadsAnAdapterAndStopsAnEngineLeftEmpty() throws Exception {
        lora("t-gone", 8);
        merged("t-alone");
        serveByName(Map.of("model", "t-gone"));
        serveByName(Map.of("model", "t-alone"));
        String url = routes.latest().backend().baseUrl();
        long alonePid = given().get("/api/chat/backends")
                .then()
                .extract()
                .jsonPath()
                .getLong("find { it.served_model_name == 'ft-t-alone-merged' }.pid");

        given().delete("/api/chat/serving/" + BASE_A)
                .then()
                .statusCode(409)
                .body("error.code", equalTo("model_is_default"));
        given().delete("/api/chat/serving/nothing-like-it")
                .then()
                .statusCode(404)
                .body("error.code", equalTo("model_not_served"));

        given().delete("/api/chat/serving/t-gone")
                .then()
                .statusCode(200)
                .body("model", equalTo("ft-t-gone"))
                .body("state", equalTo("unloaded"))
                .body("engine_stopped", equalTo(false));
        assertThat(adapters(url)).doesNotContain("ft-t-gone");
        assertThat(routes.latest().served())
                .extracting(ChatBackendEvent.Backend::servedModelName)
                .containsExactly("ft-t-alone-merged");

        given().delete("/api/chat/serving/ft-t-alone-merged")
                .then()
                .statusCode(200)
                .body("engine_stopped", equalTo(true));
        await().until(() ->
                !ProcessHandle.of(alonePid).map(ProcessHandle::isAlive).orElse(false));
        assertThat(routes.latest().served()).isEmpty();
        assertThat(serving().getList("engines")).hasSize(1);
        assertThat(Engines.chat(url, BASE_A, key())).contains("[" + BASE_A + "]");
    }

    @Test
    void aRank96AdapterGetsAnEngineStartedWithMaxLoraRank128() throws Exception {
        lora("t-r96", 96);

        JsonPath op = serveByName(Map.of("model", "t-r96"));

        assertThat(op.getList("steps.message", String.class))
                .anyMatch(m -> m.contains("the adapter's rank 96 is above the engine's --max-lora-rank 64"));
        JsonPath view = serving();
        String own = view.getString("models.find { it.model == 'ft-t-r96' }.engine");
        assertThat(view.getInt("engines.find { it.id == '" + own + "' }.max_lora_rank"))
                .isEqualTo(128);
        String log = Files.readString(LocalEnvironment.home().resolve("studio/chat/" + own + ".log"));
        assertThat(log).contains("--max-lora-rank 128", "{\"name\":\"ft-t-r96\"");
        String url = view.getString("engines.find { it.id == '" + own + "' }.url");
        assertThat(Engines.chat(url, "ft-t-r96", key())).contains("[ft-t-r96]");
    }

    @Test
    void anAdapterServedByNameIsLoadedAgainWhenItsEngineDiedAndWasRestarted() throws Exception {
        lora("t-phoenix", 8);
        serveByName(Map.of("model", "t-phoenix"));
        JsonPath before = given().get("/api/chat/backends").then().extract().jsonPath();
        long pid = before.getLong("[0].pid");
        String oldId = before.getString("[0].id");

        ProcessHandle.of(pid).orElseThrow().destroyForcibly();

        await().atMost(Duration.ofSeconds(40)).until(() -> {
            JsonPath view = serving();
            String engine = view.getString("models.find { it.model == 'ft-t-phoenix' }.engine");
            return engine != null
                    && !engine.equals(oldId)
                    && "ready".equals(view.getString("models.find { it.model == 'ft-t-phoenix' }.state"));
        });
        Switches.awaitIdle();
        ChatBackendEvent route = routes.latest();
        assertThat(route.backend().id()).isNotEqualTo(oldId);
        assertThat(route.served())
                .extracting(ChatBackendEvent.Backend::id)
                .containsExactly(route.backend().id());
        assertThat(Engines.chat(route.served().get(0).baseUrl(), "ft-t-phoenix", key()))
                .contains("[ft-t-phoenix]");
    }

    /** POSTs {@code body} to the serving set (202), waits for its operation and asserts that it completed. */
    private static JsonPath serving() {
        return given().get("/api/chat/serving").then().statusCode(200).extract().jsonPath();
    }

    /** A completed task with a LoRA adapter of BASE_A of rank {@code rank}. */
    private static void lora(String taskId, int rank) {
        Path dir = Engines.adapterDir(
                LocalEnvironment.home().resolve("studio_finetune/" + taskId + "/lora"), rank, BASE_A);
        LocalEnvironment.finetune().task(taskId, "completed", BASE_A, Map.of("lora", dir.toString()));
    }

    /** A completed task with only a merged model of BASE_A. */
    private static Path merged(String taskId) {
        Path dir =
                Engines.modelDir(LocalEnvironment.home().resolve("studio_finetune/" + taskId + "/merged_model"), null);
        LocalEnvironment.finetune().task(taskId, "completed", BASE_A, Map.of("merged_model", dir.toString()));
        return dir;
    }

    /** A gateway reports a request to {@code model} just now (on {@code studio.chat.traffic}). */
    private void used(String model) {
        Instant now = Instant.now();
        List<Long> buckets = new ArrayList<>();
        for (int i = 0; i <= ChatTrafficEvent.TTFT_BOUNDS_MS.size(); i++) {
            buckets.add(i == 2 ? 1L : 0L);
        }
        ChatTrafficEvent event = new ChatTrafficEvent(
                ChatTrafficEvent.SCHEMA_VERSION,
                "gw-" + UUID.randomUUID(),
                now,
                now,
                List.of(new ChatTrafficEvent.ModelTraffic("any", model, 1, 0, buckets)));
        produce(Topics.CHAT_TRAFFIC, event.key(), CloudEvents.encode(event), event.cloudEventType());
        await().until(() -> traffic.lastUsed(model).isPresent());
    }

    /** The adapters an engine lists at {@code /v1/models}. */
    private static List<String> adapters(String baseUrl) throws Exception {
        String body = HTTP.send(
                        HttpRequest.newBuilder(URI.create(baseUrl + "/v1/models"))
                                .header("Authorization", "Bearer " + key())
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        return JsonPath.from(body).getList("data.findAll { it.parent != null }.id", String.class);
    }

    private static String key() {
        return Engines.apiKey(LocalEnvironment.home());
    }
}
