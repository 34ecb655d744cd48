package io.sage.studio.chat.switching;

import static io.restassured.RestAssured.given;
import static io.sage.studio.chat.support.Engines.BASE_A;
import static io.sage.studio.chat.support.Switches.serve;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sage.studio.chat.support.Engines;
import io.sage.studio.chat.support.LocalEnvironment;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.events.StudioJson;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * vLLM's rules (DESIGN.md "vLLM's rules") with real engine processes: the stand-in exits or refuses exactly where
 * vLLM v0.11 does, so a switch only succeeds when the service builds what vLLM accepts.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(LocalEnvironment.class)
class VllmRulesSwitchTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeEach
    void ready() {
        Switches.awaitServiceReady();
    }

    @Test
    void aRank96AdapterServesOnAnEngineStartedWithMaxLoraRank128() throws Exception {
        serve(Map.of("model", BASE_A));
        Path lora = Engines.adapterDir(LocalEnvironment.home().resolve("studio_finetune/t-r96/lora"), 96, BASE_A);
        LocalEnvironment.finetune().task("t-r96", "completed", BASE_A, Map.of("lora", lora.toString()));

        JsonPath op = serve(Map.of("task_id", "t-r96"));

        assertThat(op.getString("strategy")).isEqualTo("blue-green");
        JsonPath engine = activeBackend();
        String log =
                Files.readString(LocalEnvironment.home().resolve("studio/chat/" + engine.getString("id") + ".log"));
        assertThat(log)
                .contains("--max-lora-rank 128 --max-loras 4 --max-cpu-loras 8 --lora-modules {\"name\":\"ft-t-r96\"");
        assertThat(Engines.chat(engine.getString("base_url"), "ft-t-r96", key()))
                .contains("[ft-t-r96]");
    }

    @Test
    void anAdapterOfRank1024IsRefusedWithA400SayingVllmsLimit() {
        Path lora = Engines.adapterDir(LocalEnvironment.home().resolve("studio_finetune/t-r1024/lora"), 1024, BASE_A);
        LocalEnvironment.finetune().task("t-r1024", "completed", BASE_A, Map.of("lora", lora.toString()));

        given().contentType(ContentType.JSON)
                .body(Map.of("task_id", "t-r1024"))
                .post("/api/chat/switch")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("lora_rank_too_high"))
                .body("error.message", containsString("rank 1024, above vLLM's largest --max-lora-rank 512"));
    }

    @Test
    void aModelWithoutAChatTemplatePassesTheSmokeTestThroughCompletions() throws Exception {
        Path model = Engines.modelDir(LocalEnvironment.home().resolve("models/no-chat-template"), null);
        Files.writeString(model.resolve("tokenizer_config.json"), "{\"model_max_length\": 2048}");

        JsonPath op = serve(Map.of("model", model.toString()));

        assertThat(op.getString("state")).isEqualTo("completed");
        assertThat(activeBackend().getString("model_path")).isEqualTo(model.toString());
    }

    @Test
    void aBaseWithoutLoraSupportStartsWithoutEnableLoraAndRefusesAdapters() throws Exception {
        Path bert = Files.createDirectories(LocalEnvironment.home().resolve("models/bert"));
        Files.writeString(
                bert.resolve("config.json"), "{\"architectures\": [\"BertModel\"], \"model_type\": \"bert\"}");

        JsonPath op = serve(Map.of("model", bert.toString()));

        assertThat(op.getString("state")).isEqualTo("completed");
        String log = Files.readString(
                LocalEnvironment.home().resolve("studio/chat/" + activeBackend().getString("id") + ".log"));
        assertThat(log).doesNotContain("--enable-lora");

        Path lora =
                Engines.adapterDir(LocalEnvironment.home().resolve("studio_finetune/t-bert/lora"), 8, bert.toString());
        LocalEnvironment.finetune().task("t-bert", "completed", bert.toString(), Map.of("lora", lora.toString()));
        given().contentType(ContentType.JSON)
                .body(Map.of("task_id", "t-bert"))
                .post("/api/chat/switch")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("lora_not_supported"))
                .body("error.message", containsString("BertModel"));
    }

    @Test
    void anAdapterTheEngineHoldsAlreadyCountsOnlyWhenItCameFromTheSamePath() throws Exception {
        serve(Map.of("model", BASE_A));
        String url = activeBackend().getString("base_url");
        Path same = Engines.adapterDir(LocalEnvironment.home().resolve("studio_finetune/t-same/lora"), 8, BASE_A);
        LocalEnvironment.finetune().task("t-same", "completed", BASE_A, Map.of("lora", same.toString()));
        assertThat(load(url, "ft-t-same", same.toString())).isEqualTo(200);

        JsonPath op = serve(Map.of("task_id", "t-same"));
        assertThat(op.getString("strategy")).isEqualTo("lora-hot-load");
        assertThat(op.getList("steps.message", String.class))
                .anyMatch(m -> m.contains("holds adapter ft-t-same from this path already"));

        Path stale = Engines.adapterDir(LocalEnvironment.home().resolve("models/stale-adapter"), 8, BASE_A);
        Path right = Engines.adapterDir(LocalEnvironment.home().resolve("studio_finetune/t-other/lora"), 8, BASE_A);
        LocalEnvironment.finetune().task("t-other", "completed", BASE_A, Map.of("lora", right.toString()));
        assertThat(load(url, "ft-t-other", stale.toString())).isEqualTo(200);

        op = serve(Map.of("task_id", "t-other"));
        assertThat(op.getString("strategy")).isEqualTo("lora-hot-load");
        assertThat(op.getList("steps.message", String.class))
                .anyMatch(m -> m.contains("holds another adapter named ft-t-other"));
        assertThat(roots(url)).containsEntry("ft-t-other", right.toString());
    }

    @Test
    void anAdapterTheEngineLostIsLoadedAgainByTheMonitor() throws Exception {
        serve(Map.of("model", BASE_A));
        String url = activeBackend().getString("base_url");
        Path lora = Engines.adapterDir(LocalEnvironment.home().resolve("studio_finetune/t-lost/lora"), 8, BASE_A);
        LocalEnvironment.finetune().task("t-lost", "completed", BASE_A, Map.of("lora", lora.toString()));
        assertThat(serve(Map.of("task_id", "t-lost")).getString("strategy")).isEqualTo("lora-hot-load");

        // What an engine restarted in place (a container restart) looks like: healthy, the runtime-loaded adapter gone.
        assertThat(post(url, "/v1/unload_lora_adapter", Map.of("lora_name", "ft-t-lost")))
                .isEqualTo(200);
        assertThat(roots(url)).doesNotContainKey("ft-t-lost");

        await().atMost(Duration.ofSeconds(30))
                .until(() -> lora.toString().equals(roots(url).get("ft-t-lost")));
        assertThat(Engines.chat(url, "ft-t-lost", key())).contains("[ft-t-lost]");
    }

    /** {@code POST /v1/load_lora_adapter} at an engine, as something other than the service would; the status. */
    private static int load(String baseUrl, String name, String path) throws Exception {
        return post(baseUrl, "/v1/load_lora_adapter", Map.of("lora_name", name, "lora_path", path));
    }

    /** A JSON POST to an engine with its API key; the status. */
    private static int post(String baseUrl, String path, Map<String, String> json) throws Exception {
        String body = StudioJson.mapper().writeValueAsString(json);
        return HTTP.send(
                        HttpRequest.newBuilder(URI.create(baseUrl + path))
                                .header("Content-Type", "application/json")
                                .header("Authorization", "Bearer " + key())
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    /** Adapter name → {@code root} (the path it was loaded from) at the engine's {@code /v1/models}. */
    private static Map<String, String> roots(String baseUrl) throws Exception {
        String body = HTTP.send(
                        HttpRequest.newBuilder(URI.create(baseUrl + "/v1/models"))
                                .header("Authorization", "Bearer " + key())
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        JsonPath models = JsonPath.from(body);
        List<String> ids = models.getList("data.id");
        List<String> rootList = models.getList("data.root");
        Map<String, String> roots = new LinkedHashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            roots.put(ids.get(i), rootList.get(i));
        }
        return roots;
    }

    private static JsonPath activeBackend() throws Exception {
        List<Map<String, Object>> active = given().get("/api/chat/backends")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("findAll { it.active }");
        assertThat(active).hasSize(1);
        return JsonPath.from(StudioJson.mapper().writeValueAsString(active.get(0)));
    }

    private static String key() {
        return Engines.apiKey(LocalEnvironment.home());
    }
}
