package io.sage.studio.chat.switching;

import static io.restassured.RestAssured.given;
import static io.sage.studio.chat.support.Broker.gpu;
import static io.sage.studio.chat.support.Broker.produce;
import static io.sage.studio.chat.support.Engines.BASE_A;
import static io.sage.studio.chat.support.Engines.BASE_B;
import static io.sage.studio.chat.support.Switches.awaitEnd;
import static io.sage.studio.chat.support.Switches.current;
import static io.sage.studio.chat.support.Switches.serve;
import static io.sage.studio.chat.support.Switches.start;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.core.JsonProcessingException;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sage.studio.chat.messaging.GpuTelemetry;
import io.sage.studio.chat.support.ChatLoad;
import io.sage.studio.chat.support.Engines;
import io.sage.studio.chat.support.LocalEnvironment;
import io.sage.studio.chat.support.RouteWatcher;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.events.ChatSwitchCommandEvent;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.events.StudioJson;
import io.sage.studio.events.Topics;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * Every strategy and every failure of the local runtime, with real engine processes (the stand-in vLLM), the real
 * broker and real files. Chat traffic follows the route topic like a gateway, so "no failed request" is measured.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(LocalEnvironment.class)
class LocalSwitchTest {

    private static final long GIB = 1L << 30;
    private static RouteWatcher routes;

    @Inject
    GpuTelemetry telemetry;

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

    @Test
    void blueGreenRoutesToTheNewEngineOnlyWhenItIsReadyAndNoRequestFails() throws Exception {
        serve(Map.of("model", BASE_A));
        long oldPid = activeBackend().getLong("pid");
        long revision = routes.revision();

        JsonPath op;
        try (ChatLoad load = new ChatLoad(routes, key())) {
            await().until(() -> load.answeredBy(BASE_A) >= 3);
            op = awaitEnd(start(Map.of("model", BASE_B, "strategy", "blue-green")));
            await().until(() -> load.answeredBy(BASE_B) >= 3);
            assertThat(load.failures()).isEmpty();
        }

        assertThat(op.getString("state")).isEqualTo("completed");
        assertThat(op.getString("strategy")).isEqualTo("blue-green");
        assertThat(op.getBoolean("llm_service_restarted")).isTrue();
        assertThat(op.getBoolean("engine_started")).isTrue();
        assertThat(op.getLong("timings.downtime_ms")).isZero();
        assertThat(Instant.parse(op.getString("timings.ready_at")))
                .isBeforeOrEqualTo(Instant.parse(op.getString("timings.routed_at")));

        ChatBackendEvent route = routes.latest();
        assertThat(route.revision()).isGreaterThan(revision);
        assertThat(route.state()).isEqualTo(ChatBackendEvent.State.ACTIVE);
        assertThat(route.switchOperationId()).isEqualTo(op.getString("id"));
        assertThat(route.backend().servedModelName()).isEqualTo(BASE_B);
        assertThat(route.backend().kind()).isEqualTo("base");
        assertThat(route.backend().runtime()).isEqualTo("local");
        await().until(() -> !alive(oldPid));
        assertThat(given().get("/api/chat/backends").then().extract().jsonPath().getList("id"))
                .hasSize(1);

        String env = Files.readString(LocalEnvironment.home().resolve("studio/chat/backend.env"));
        assertThat(env)
                .contains(
                        "SAGE_CHAT_BASE_URL=" + route.backend().baseUrl() + "/v1\n",
                        "SAGE_CHAT_MODEL=" + BASE_B + "\n");
    }

    @Test
    void aLoraAdapterOfTheRunningBaseIsHotLoadedWithoutRestartingTheEngine() throws Exception {
        serve(Map.of("model", BASE_A));
        JsonPath engine = activeBackend();
        Path lora = Engines.adapterDir(LocalEnvironment.home().resolve("studio_finetune/t-hot/lora"), 8, BASE_A);
        LocalEnvironment.finetune().task("t-hot", "completed", BASE_A, Map.of("lora", lora.toString()));

        try (ChatLoad load = new ChatLoad(routes, key())) {
            await().until(() -> load.sent() >= 3);
            given().contentType(ContentType.JSON)
                    .body(Map.of("task_id", "t-hot"))
                    .post("/api/finetune/use-as-backend")
                    .then()
                    .statusCode(200)
                    .body("status", equalTo("success"))
                    .body("current_model", equalTo(lora.toString()))
                    .body("model_path", equalTo(lora.toString()))
                    .body("model_name", equalTo("ft-t-hot"))
                    .body("message", containsString("no restart"))
                    // Live without a restart: the seed's "switched and live", not its "needs restart".
                    .body("llm_service_restarted", equalTo(true))
                    .body("operation.engine_started", equalTo(false))
                    .body("operation.strategy", equalTo("lora-hot-load"));
            await().until(() -> load.answeredBy("ft-t-hot") >= 3);
            assertThat(load.failures()).isEmpty();
        }

        JsonPath after = activeBackend();
        assertThat(after.getLong("pid")).isEqualTo(engine.getLong("pid"));
        assertThat(alive(engine.getLong("pid"))).isTrue();
        assertThat(after.getList("adapters.name")).contains("ft-t-hot");
        assertThat(routes.latest().backend().baseUrl()).isEqualTo(engine.getString("base_url"));
        assertThat(routes.latest().backend().modelPath()).isEqualTo(lora.toString());
        assertThat(routes.latest().backend().baseModel()).isEqualTo(BASE_A);

        // Back to the base model: the same engine, only the route changes.
        JsonPath back = serve(Map.of("model", BASE_A));
        assertThat(back.getString("strategy")).isEqualTo("lora-hot-load");
        assertThat(activeBackend().getLong("pid")).isEqualTo(engine.getLong("pid"));
        assertThat(routes.latest().backend().servedModelName()).isEqualTo(BASE_A);
    }

    @Test
    void switchingToTheModelThatServesIsASuccessfulNoOp() throws Exception {
        serve(Map.of("model", BASE_A));
        long revision = routes.revision();

        JsonPath op = serve(Map.of("model", BASE_A));
        assertThat(op.getString("strategy")).isEqualTo("none");
        assertThat(op.getBoolean("llm_service_restarted")).isTrue();
        assertThat(op.getBoolean("engine_started")).isFalse();
        given().queryParam("model_path", BASE_A)
                .post("/api/finetune/switch-model")
                .then()
                .statusCode(200)
                .body("current_model", equalTo(BASE_A))
                .body("message", containsString("already serving"))
                .body("llm_service_restarted", equalTo(true));
        assertThat(routes.revision()).isEqualTo(revision);
    }

    @Test
    void recreateStopsTheOldEngineFirstAndMeasuresTheDowntime() throws Exception {
        serve(Map.of("model", BASE_A));
        long oldPid = activeBackend().getLong("pid");
        long revision = routes.revision();
        int mark = routes.mark();

        JsonPath op = serve(Map.of("model", BASE_B, "strategy", "recreate"));

        assertThat(op.getString("strategy")).isEqualTo("recreate");
        assertThat(op.getLong("timings.downtime_ms")).isPositive();
        assertThat(alive(oldPid)).isFalse();
        List<ChatBackendEvent> events = routes.after(mark);
        assertThat(events)
                .extracting(ChatBackendEvent::state)
                .containsExactly(ChatBackendEvent.State.SWITCHING, ChatBackendEvent.State.ACTIVE);
        assertThat(events.get(0).retryAfterSeconds()).isEqualTo(15);
        assertThat(events.get(1).backend().servedModelName()).isEqualTo(BASE_B);
        assertThat(chat(events.get(1).backend().baseUrl(), BASE_B)).contains("[" + BASE_B + "]");
    }

    @Test
    void aModelThatCannotLoadLeavesTheOldOneServingAndTheSeedEndpointSaysWhy() throws Exception {
        serve(Map.of("model", BASE_A));
        long pid = activeBackend().getLong("pid");
        long revision = routes.revision();
        Path broken = Engines.modelDir(LocalEnvironment.home().resolve("models/broken-model"), null);

        given().queryParam("model_path", broken.toString())
                .post("/api/finetune/switch-model")
                .then()
                .statusCode(502)
                .body("error.code", equalTo("switch_failed"))
                .body("error.message", containsString("died before it was ready"))
                .body("error.message", containsString("cannot load model"))
                .body("error.details[0].rolled_back", equalTo(true));

        assertThat(routes.revision()).isEqualTo(revision);
        assertThat(current().getString("current_model")).isEqualTo(BASE_A);
        assertThat(alive(pid)).isTrue();
        assertThat(chat(routes.latest().backend().baseUrl(), BASE_A)).contains("[" + BASE_A + "]");
        assertThat(given().get("/api/chat/backends").then().extract().jsonPath().getList("id"))
                .hasSize(1);
    }

    @Test
    void anEngineThatNeverGetsReadyTimesOutAndIsRolledBack() {
        serve(Map.of("model", BASE_A));
        long revision = routes.revision();
        Path stuck =
                Engines.modelDir(LocalEnvironment.home().resolve("models/never-ready"), "{\"fail\": \"never_ready\"}");

        JsonPath op = awaitEnd(start(Map.of("model", stuck.toString())));

        assertThat(op.getString("state")).isEqualTo("failed");
        assertThat(op.getString("error")).contains("was not ready within 8 s", "/health: HTTP 503");
        assertThat(op.getBoolean("rolled_back")).isTrue();
        assertThat(routes.revision()).isEqualTo(revision);
        assertThat(current().getString("current_model")).isEqualTo(BASE_A);
    }

    @Test
    void aFailedSmokeGenerationIsRolledBack() {
        serve(Map.of("model", BASE_A));
        long revision = routes.revision();
        Path mute =
                Engines.modelDir(LocalEnvironment.home().resolve("models/smoke-fails"), "{\"fail\": \"smoke_fail\"}");

        JsonPath op = awaitEnd(start(Map.of("model", mute.toString())));

        assertThat(op.getString("state")).isEqualTo("failed");
        assertThat(op.getString("error")).contains("smoke generation", "HTTP 500");
        assertThat(op.getBoolean("rolled_back")).isTrue();
        assertThat(routes.revision()).isEqualTo(revision);
        assertThat(given().get("/api/chat/backends").then().extract().jsonPath().getList("id"))
                .hasSize(1);
    }

    @Test
    void aFailedRecreateStartsThePreviousModelAgain() {
        serve(Map.of("model", BASE_A));
        int mark = routes.mark();
        Path broken = Engines.modelDir(LocalEnvironment.home().resolve("models/broken-model-2"), null);

        JsonPath op = awaitEnd(start(Map.of("model", broken.toString(), "strategy", "recreate")));

        assertThat(op.getString("state")).isEqualTo("failed");
        assertThat(op.getBoolean("rolled_back")).isTrue();
        assertThat(op.getString("error")).contains("cannot load model", "serves again");
        List<ChatBackendEvent> events = routes.after(mark);
        assertThat(events)
                .extracting(ChatBackendEvent::state)
                .containsExactly(ChatBackendEvent.State.SWITCHING, ChatBackendEvent.State.ACTIVE);
        assertThat(events.get(1).backend().servedModelName()).isEqualTo(BASE_A);
        assertThat(chat(events.get(1).backend().baseUrl(), BASE_A)).contains("[" + BASE_A + "]");
        assertThat(current().getString("state")).isEqualTo("active");
    }

    @Test
    void aSecondSwitchWhileOneRunsIsRefusedWith409NamingTheRunningOne() {
        serve(Map.of("model", BASE_A));
        Path slow = Engines.modelDir(LocalEnvironment.home().resolve("models/slow-start"), "{\"startup_delay\": 2}");

        String first = start(Map.of("model", slow.toString()));
        given().contentType(ContentType.JSON)
                .body(Map.of("model", BASE_B))
                .post("/api/chat/switch")
                .then()
                .statusCode(409)
                .body("error.code", equalTo("switch_in_progress"))
                .body("error.details[0].operation_id", equalTo(first));

        assertThat(awaitEnd(first).getString("state")).isEqualTo("completed");
    }

    @Test
    void anAdapterAboveTheEnginesRankIsNotHotLoadedButGetsAnEngineThatFitsIt() throws Exception {
        serve(Map.of("model", BASE_A));
        Path big = Engines.adapterDir(LocalEnvironment.home().resolve("studio_finetune/t-big/lora"), 128, BASE_A);
        LocalEnvironment.finetune().task("t-big", "completed", BASE_A, Map.of("lora", big.toString()));

        given().contentType(ContentType.JSON)
                .body(Map.of("task_id", "t-big", "strategy", "lora-hot-load"))
                .post("/api/chat/switch")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("strategy_not_applicable"))
                .body("error.message", containsString("rank 128 is above the engine's --max-lora-rank 64"));

        JsonPath op = serve(Map.of("task_id", "t-big"));
        assertThat(op.getString("strategy")).isEqualTo("blue-green");
        assertThat(activeBackend().getList("adapters.name")).containsExactly("ft-t-big");
        assertThat(chat(routes.latest().backend().baseUrl(), "ft-t-big")).contains("[ft-t-big]");
    }

    @Test
    void autoRecreatesWhenTelemetrySaysASecondEngineDoesNotFitAndRunsBlueGreenWhenItDoes() {
        serve(Map.of("model", BASE_A));
        String uuid = "GPU-" + UUID.randomUUID();
        try {
            gpu(uuid, 80 * GIB, 8 * GIB);
            await().until(() ->
                    telemetry.gpus().stream().anyMatch(g -> g.uuid().equals(uuid) && g.memoryFreeBytes() == 8 * GIB));
            JsonPath tight = serve(Map.of("model", BASE_B));
            assertThat(tight.getString("strategy")).isEqualTo("recreate");
            assertThat(tight.getList("steps.message").toString()).contains("8.0 GiB free", "needs about 72.0 GiB");

            gpu(uuid, 80 * GIB, 79 * GIB);
            await().until(() ->
                    telemetry.gpus().stream().anyMatch(g -> g.uuid().equals(uuid) && g.memoryFreeBytes() == 79 * GIB));
            JsonPath roomy = serve(Map.of("model", BASE_A));
            assertThat(roomy.getString("strategy")).isEqualTo("blue-green");
        } finally {
            produce(Topics.GPU_TELEMETRY, GpuTelemetryEvent.keyOf(LocalEnvironment.node(), uuid), null, null);
        }
    }

    @Test
    void aFineTunedModelOfTheRegistryServesByItsIdAndAMergedModelGetsItsOwnEngine() throws Exception {
        serve(Map.of("model", BASE_A));
        Path merged = Engines.modelDir(LocalEnvironment.home().resolve("studio_finetune/t-reg/merged_model"), null);
        LocalEnvironment.finetune().finetunedModel("qwen-support-bot", merged.toString(), "merged", "t-reg", BASE_A);

        JsonPath op = serve(Map.of("model", "qwen-support-bot"));

        assertThat(op.getString("strategy")).isEqualTo("blue-green");
        assertThat(op.getString("current_model")).isEqualTo("qwen-support-bot");
        assertThat(op.getString("served_model_name")).isEqualTo("ft-t-reg-merged");
        ChatBackendEvent route = routes.latest();
        assertThat(route.backend().kind()).isEqualTo("finetuned");
        assertThat(route.backend().modelPath()).isEqualTo(merged.toString());
        assertThat(route.backend().baseModel()).isEqualTo(BASE_A);
        assertThat(chat(route.backend().baseUrl(), "ft-t-reg-merged")).contains("[ft-t-reg-merged]");
    }

    @Test
    void enginesRequireTheGeneratedApiKeyAndTheServiceSendsIt() throws Exception {
        serve(Map.of("model", BASE_A));
        String baseUrl = activeBackend().getString("base_url");
        Path keyFile = LocalEnvironment.home().resolve("studio/chat/engine-api-key");

        assertThat(Files.getPosixFilePermissions(keyFile))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        assertThat(key()).startsWith("sk-sage-").hasSizeGreaterThan(40);
        assertThat(Engines.status(baseUrl, "/v1/models", null)).isEqualTo(401);
        assertThat(Engines.status(baseUrl, "/v1/models", "sk-wrong")).isEqualTo(401);
        assertThat(Engines.status(baseUrl, "/v1/models", key())).isEqualTo(200);
        assertThat(Engines.status(baseUrl, "/health", null)).isEqualTo(200);
        // Readiness, the smoke test and the hot-load all went through with the key.
        Path lora = Engines.adapterDir(LocalEnvironment.home().resolve("studio_finetune/t-key/lora"), 8, BASE_A);
        JsonPath op = serve(Map.of("model", lora.toString()));
        assertThat(op.getString("strategy")).isEqualTo("lora-hot-load");
        assertThat(Files.readString(LocalEnvironment.home()
                        .resolve("studio/chat/" + activeBackend().getString("id") + ".log")))
                .doesNotContain(key());
    }

    @Test
    void aFileOfTheStudioHomeIsNotAModelAndErrorsNeverQuoteWhatAFileHolds() throws Exception {
        String secret = "LEAKME4711";
        Path env = LocalEnvironment.home().resolve("studio/chat/secret-test.env");
        Files.createDirectories(env.getParent());
        Files.writeString(env, secret + "_URL=http://10.1.2.3:8001/v1\n");
        Path adapter = Files.createDirectories(LocalEnvironment.home().resolve("studio_finetune/t-linked/lora"));
        Files.deleteIfExists(adapter.resolve("adapter_config.json"));
        Files.createSymbolicLink(adapter.resolve("adapter_config.json"), env);

        String asFile = given().contentType(ContentType.JSON)
                .body(Map.of("model", env.toString()))
                .post("/api/chat/switch")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("not_a_model"))
                .extract()
                .asString();
        String asAdapter = given().contentType(ContentType.JSON)
                .body(Map.of("model", adapter.toString()))
                .post("/api/chat/switch")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("invalid_adapter"))
                .body("error.message", containsString("is not valid JSON (line 1, column"))
                .extract()
                .asString();

        assertThat(asFile).doesNotContain(secret);
        assertThat(asAdapter).doesNotContain(secret);
        assertThat(current().getString("switch_in_progress")).isNull();
    }

    @Test
    void requestsThatNameNoRegisteredModelAreRejectedWithoutTakingTheSlot() throws Exception {
        Files.createDirectories(LocalEnvironment.home().resolve("models/empty"));
        LocalEnvironment.finetune().task("t-running", "training", BASE_A, Map.of());

        rejected(Map.of("model", "/etc"), 400, "path_outside_home");
        rejected(Map.of("model", "../outside"), 400, "path_outside_home");
        rejected(Map.of("model", "not/registered-model"), 400, "unknown_model");
        rejected(Map.of("model", "gpt-nonexistent"), 400, "unknown_model");
        rejected(Map.of("model", LocalEnvironment.home().resolve("models/empty").toString()), 400, "not_a_model");
        rejected(Map.of("task_id", "missing"), 404, "task_not_found");
        rejected(Map.of("task_id", "t-running"), 409, "task_not_completed");
        rejected(Map.of("task_id", "../../etc"), 400, "invalid_field");
        rejected(Map.of(), 400, "invalid_field");
        rejected(Map.of("model", BASE_A, "task_id", "t-hot"), 400, "invalid_field");
        rejected(Map.of("model", BASE_A, "strategy", "sideways"), 400, "invalid_field");
        given().post("/api/finetune/switch-model").then().statusCode(400).body("error.code", equalTo("invalid_field"));
        given().get("/api/chat/switch/nope").then().statusCode(404).body("error.code", equalTo("operation_not_found"));

        assertThat(current().getString("switch_in_progress")).isNull();
    }

    @Test
    void aCrashedEngineIsStartedAgainByTheMonitor() throws Exception {
        Path crashy =
                Engines.modelDir(LocalEnvironment.home().resolve("models/crashy"), "{\"fail\": \"crash_after:2\"}");
        serve(Map.of("model", crashy.toString()));
        JsonPath engine = activeBackend();

        chat(engine.getString("base_url"), engine.getString("served_model_name"));

        await().atMost(Duration.ofSeconds(30)).until(() -> {
            JsonPath latest =
                    given().get("/api/chat/switch?limit=1").then().extract().jsonPath();
            return "monitor".equals(latest.getString("[0].requested_by"))
                    && "completed".equals(latest.getString("[0].state"));
        });
        assertThat(alive(engine.getLong("pid"))).isFalse();
        assertThat(routes.latest().backend().id()).isNotEqualTo(engine.getString("id"));
        assertThat(current().getBoolean("llm_service_running")).isTrue();
    }

    @Test
    void aCommandFromAnotherProducerOnTheTopicIsExecuted() {
        serve(Map.of("model", BASE_A));
        String id = "cli-" + UUID.randomUUID();
        ChatSwitchCommandEvent command = new ChatSwitchCommandEvent(
                ChatSwitchCommandEvent.SCHEMA_VERSION, id, BASE_B, null, null, "sage-cli", Instant.now());
        produce(Topics.CHAT_COMMANDS, id, CloudEvents.encode(command), command.cloudEventType());

        await().atMost(Duration.ofSeconds(60))
                .ignoreExceptions()
                .until(() -> "completed"
                        .equals(given().get("/api/chat/switch/" + id)
                                .then()
                                .statusCode(200)
                                .extract()
                                .path("state")));
        assertThat(given().get("/api/chat/switch/" + id).then().extract().<String>path("requested_by"))
                .isEqualTo("sage-cli");
        assertThat(routes.latest().backend().servedModelName()).isEqualTo(BASE_B);
    }

    @Test
    void aFloodOfCommandsFromKafkaIsRefusedBeyondTheBoundedQueueNotBuffered() {
        serve(Map.of("model", BASE_A));
        Path slow = Engines.modelDir(LocalEnvironment.home().resolve("models/slow-flood"), "{\"startup_delay\": 3}");
        String running = start(Map.of("model", slow.toString()));
        List<String> flood = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            String id = "flood-" + UUID.randomUUID();
            flood.add(id);
            ChatSwitchCommandEvent command = new ChatSwitchCommandEvent(
                    ChatSwitchCommandEvent.SCHEMA_VERSION, id, "gpt-nonexistent", null, null, "flooder", Instant.now());
            produce(Topics.CHAT_COMMANDS, id, CloudEvents.encode(command), command.cloudEventType());
        }

        await().atMost(Duration.ofSeconds(60))
                .until(() -> flood.stream()
                        .allMatch(id -> "failed"
                                .equals(given().get("/api/chat/switch/" + id)
                                        .then()
                                        .extract()
                                        .path("state"))));
        List<String> errors = flood.stream()
                .map(id ->
                        given().get("/api/chat/switch/" + id).then().extract().<String>path("error"))
                .toList();
        assertThat(errors)
                .filteredOn(e -> e.contains("too many switch commands are waiting"))
                .hasSizeGreaterThanOrEqualTo(40 - 16 - 1);
        assertThat(awaitEnd(running).getString("state")).isEqualTo("completed");
    }

    @Test
    void currentModelAndBackendsDescribeTheRoute() throws Exception {
        serve(Map.of("model", BASE_A));
        JsonPath current = current();
        assertThat(current.getString("current_model")).isEqualTo(BASE_A);
        assertThat(current.getString("kind")).isEqualTo("base");
        assertThat(current.getString("state")).isEqualTo("active");
        assertThat(current.getString("runtime")).isEqualTo("local");
        assertThat(current.getBoolean("llm_service_running")).isTrue();
        assertThat(current.getString("base_url")).startsWith("http://127.0.0.1:");

        JsonPath engine = activeBackend();
        assertThat(engine.getString("served_model_name")).isEqualTo(BASE_A);
        assertThat(engine.getString("runtime")).isEqualTo("local");
        assertThat(engine.getString("state")).isEqualTo("ready");
        assertThat(engine.getLong("pid")).isPositive();
        assertThat(current.getString("base_url")).endsWith(":" + engine.getInt("port"));
    }

    @Test
    void stopEndsEveryEngineAndRoutesToNothing() throws Exception {
        serve(Map.of("model", BASE_A));
        long pid = activeBackend().getLong("pid");

        given().post("/api/chat/stop").then().statusCode(200).body("stopped.size()", equalTo(1));

        assertThat(alive(pid)).isFalse();
        assertThat(routes.latest().state()).isEqualTo(ChatBackendEvent.State.NONE);
        assertThat(current().getString("state")).isEqualTo("none");
        assertThat(given().get("/api/chat/backends").then().extract().jsonPath().getList("id"))
                .isEmpty();
    }

    /** The engine the route points at, from {@code GET /api/chat/backends}. */
    private static JsonPath activeBackend() throws JsonProcessingException {
        JsonPath all = given().get("/api/chat/backends")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        List<Map<String, Object>> active = all.getList("findAll { it.active }");
        assertThat(active).hasSize(1);
        return JsonPath.from(StudioJson.mapper().writeValueAsString(active.get(0)));
    }

    private static void rejected(Map<String, Object> body, int status, String code) {
        given().contentType(ContentType.JSON)
                .body(body)
                .post("/api/chat/switch")
                .then()
                .statusCode(status)
                .body("error.code", equalTo(code));
    }

    private static String chat(String baseUrl, String model) {
        return Engines.chat(baseUrl, model, key());
    }

    private static String key() {
        return Engines.apiKey(LocalEnvironment.home());
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
