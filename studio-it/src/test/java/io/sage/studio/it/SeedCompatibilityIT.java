package io.sage.studio.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The original SAGE Studio's client, replayed against the packaged studio exactly as its fine-tune panel
 * ({@code FinetunePanel.tsx}) calls the backend: same paths, same bodies (none where it sends none), same fields read
 * from the answers, all through the gateway like the browser. In the order of the issue: upload → {@code file_path} →
 * create without {@code model_name} → poll the list (numeric {@code loss}, list {@code logs}) →
 * {@code switch-model?model_path=<output_dir>} → {@code current-model} → {@code switch-model?model_path=<current_model>}
 * → chat (gateway and {@code SAGE_STUDIO_LLM_PORT}) → delete. Each row of docs/seed-compatibility.md has its test.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SeedCompatibilityIT {

    /** The original client's form defaults ({@code initialValues}), without {@code model_name}. */
    private static final String SEED_FORM = "\"num_epochs\":1,\"batch_size\":1,\"gradient_accumulation_steps\":16,"
            + "\"learning_rate\":0.00005,\"max_length\":1024,\"load_in_8bit\":true";

    private static Path root;
    private static Studio studio;
    private static StudioApi api;
    private static int gw;
    private static String filePath;
    private static JsonNode task;
    private static String currentModel;

    @BeforeAll
    static void start() throws IOException {
        root = Files.createTempDirectory("sage-seed-it");
        studio = new Studio(root.resolve("home"));
        studio.env.put("STUDIO_CHAT_INITIAL_MODEL", StudioApi.BASE_MODEL);
        studio.env.put("FAKE_TRAINER_STEP_DELAY", "0.05");
        api = new StudioApi(studio);
        gw = studio.gatewayPort;
        // The original CLI's flag: start the local model server (the default, said explicitly).
        Studio.Run start = studio.sage("studio", "start", "--llm");
        assertThat(start.exitCode()).as(start.output()).isZero();
        api.awaitRouteActive();
    }

    @AfterAll
    static void stop() {
        if (studio != null) {
            studio.close();
        }
    }

    private static String query(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** The original client shows {@code error.detail} of every failed call. */
    private static void assertDetail(StudioApi.Answer answer, int status) {
        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(status);
        assertDetail(answer);
    }

    private static void assertDetail(StudioApi.Answer answer) {
        assertThat(answer.status()).as(answer.body().toString()).isBetween(400, 499);
        assertThat(answer.body().path("detail").isTextual())
                .as(answer.body().toString())
                .isTrue();
        assertThat(answer.body().path("detail").asText())
                .isEqualTo(answer.body().path("error").path("message").asText())
                .isNotBlank();
    }

    @Test
    @Order(1)
    void gpuInfoHasTheSeedsFields() {
        StudioApi.Answer info = api.send("GET", gw, "/api/system/gpu-info", null);
        assertThat(info.status()).as(info.body().toString()).isEqualTo(200);
        JsonNode body = info.body();
        assertThat(body.path("available").isBoolean()).as(body.toString()).isTrue();
        assertThat(body.path("count").isIntegralNumber()).as(body.toString()).isTrue();
        assertThat(body.path("recommendation").isTextual()).as(body.toString()).isTrue();
        assertThat(body.path("devices").isArray()).isTrue();
        for (JsonNode device : body.path("devices")) {
            assertThat(device.path("id").isIntegralNumber())
                    .as(device.toString())
                    .isTrue();
            assertThat(device.path("memory_gb").isNumber())
                    .as(device.toString())
                    .isTrue();
        }
    }

    @Test
    @Order(2)
    void uploadAnswersFilePathAndFilename() {
        StudioApi.Answer upload = api.upload("seed-data.jsonl", StudioApi.alpaca(20));
        assertThat(upload.status()).as(upload.body().toString()).isEqualTo(200);
        assertThat(upload.body().path("filename").asText()).isEqualTo("seed-data.jsonl");
        filePath = upload.body().path("file_path").asText();
        assertThat(Path.of(filePath)).isAbsolute().exists();
    }

    @Test
    @Order(3)
    void prepareSageDocsAnswersDataFileAndTotalSamplesAndHonoursForceRefresh() {
        // The original client posts an empty JSON object.
        StudioApi.Answer first = api.send("POST", gw, "/api/finetune/prepare-sage-docs", "{}");
        assertThat(first.status()).as(first.body().toString()).isEqualTo(200);
        assertThat(first.body().path("status").asText()).isEqualTo("success");
        assertThat(first.body().path("stats").path("total_samples").asInt()).isPositive();
        String dataFile = first.body().path("data_file").asText();
        assertThat(Path.of(dataFile)).exists();

        StudioApi.Answer again = api.send("POST", gw, "/api/finetune/prepare-sage-docs", "{}");
        assertThat(again.body().path("data_file").asText()).isEqualTo(dataFile);
        StudioApi.Answer refreshed = api.send("POST", gw, "/api/finetune/prepare-sage-docs?force_refresh=true", "{}");
        assertThat(refreshed.status()).as(refreshed.body().toString()).isEqualTo(200);
        assertThat(refreshed.body().path("data_file").asText()).isNotEqualTo(dataFile);
    }

    @Test
    @Order(4)
    void createWithoutModelNameTrainsTheSeedsDefaultAndWarnsInStrings() {
        StudioApi.Answer created = api.send(
                "POST", gw, "/api/finetune/create", "{" + SEED_FORM + ",\"dataset_file\":\"" + filePath + "\"}");
        assertThat(created.status()).as(created.body().toString()).isEqualTo(201);
        task = created.body();
        assertThat(task.path("model_name").asText()).isEqualTo("Qwen/Qwen2.5-7B-Instruct");
        assertThat(task.path("warnings").isArray()).isTrue();
        for (JsonNode warning : task.path("warnings")) {
            assertThat(warning.isTextual()).as(task.path("warnings").toString()).isTrue();
        }
        assertThat(task.path("warning_details").size())
                .isEqualTo(task.path("warnings").size());
    }

    @Test
    @Order(5)
    void theTaskListKeepsTheSeedsTypesWhileItTrains() {
        String id = task.path("task_id").asText();
        AtomicInteger polls = new AtomicInteger();
        await().atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofMillis(300))
                .untilAsserted(() -> {
                    StudioApi.Answer list = api.send("GET", gw, "/api/finetune/tasks", null);
                    assertThat(list.status()).isEqualTo(200);
                    JsonNode mine = null;
                    for (JsonNode t : list.body()) {
                        // Every task of the list, in every state, has the types the original table renders.
                        assertThat(t.path("loss").isNumber()).as(t.toString()).isTrue();
                        assertThat(t.path("current_epoch").isIntegralNumber())
                                .as(t.toString())
                                .isTrue();
                        assertThat(t.path("progress").isNumber())
                                .as(t.toString())
                                .isTrue();
                        assertThat(t.path("logs").isArray()).as(t.toString()).isTrue();
                        assertThat(t.path("output_dir").isTextual())
                                .as(t.toString())
                                .isTrue();
                        if (t.path("task_id").asText().equals(id)) {
                            mine = t;
                        }
                    }
                    polls.incrementAndGet();
                    assertThat(mine).isNotNull();
                    assertThat(mine.path("status").asText()).isEqualTo("completed");
                    task = mine;
                });
        assertThat(task.path("current_epoch").asInt())
                .isEqualTo(task.path("total_epochs").asInt());
        assertThat(task.path("loss").asDouble()).isPositive();
        assertThat(task.path("logs")).isNotEmpty();
        assertThat(polls.get()).isPositive();
    }

    @Test
    @Order(6)
    void switchModelTakesTheTasksOutputDir() {
        String outputDir = task.path("output_dir").asText();
        StudioApi.Answer switched =
                api.send("POST", gw, "/api/finetune/switch-model?model_path=" + query(outputDir), null);
        assertThat(switched.status()).as(switched.body().toString()).isEqualTo(200);
        assertThat(switched.body().path("llm_service_restarted").asBoolean()).isTrue();
        assertThat(switched.body().path("message").asText()).isNotBlank();
        // The task merged (the default): the task folder stands for its merged model.
        assertThat(switched.body().path("current_model").asText())
                .isEqualTo(task.path("artifacts").path("merged_model").asText());
    }

    @Test
    @Order(7)
    void currentModelIsAPathThatSwitchModelTakesBack() {
        StudioApi.Answer current = api.send("GET", gw, "/api/finetune/current-model", null);
        assertThat(current.status()).isEqualTo(200);
        currentModel = current.body().path("current_model").asText();
        assertThat(currentModel)
                .isEqualTo(task.path("artifacts").path("merged_model").asText());

        StudioApi.Answer again =
                api.send("POST", gw, "/api/finetune/switch-model?model_path=" + query(currentModel), null);
        assertThat(again.status()).as(again.body().toString()).isEqualTo(200);
        assertThat(again.body().path("current_model").asText()).isEqualTo(currentModel);
        assertThat(api.send("GET", gw, "/api/finetune/current-model", null)
                        .body()
                        .path("current_model")
                        .asText())
                .isEqualTo(currentModel);
    }

    @Test
    @Order(8)
    void chatAnswersThroughTheGatewayAndAtTheStableLlmPort() {
        String chat = "{\"model\":\"sage-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],"
                + "\"max_tokens\":3}";
        StudioApi.Answer viaGateway = api.send("POST", gw, "/v1/chat/completions", chat);
        assertThat(viaGateway.status()).as(viaGateway.body().toString()).isEqualTo(200);
        assertThat(viaGateway.body().path("choices")).isNotEmpty();
        // SAGE_STUDIO_LLM_PORT: where the original studio's local model answered, whatever engine serves now.
        StudioApi.Answer viaLlmPort = api.send("POST", studio.llmPort, "/v1/chat/completions", chat);
        assertThat(viaLlmPort.status()).as(viaLlmPort.body().toString()).isEqualTo(200);
        assertThat(viaLlmPort.body().path("choices")).isNotEmpty();
    }

    @Test
    @Order(9)
    void aModelNameFromTheModelListSwitchesAndUseAsBackendAnswersTheSeedsFields() {
        StudioApi.Answer models = api.send("GET", gw, "/api/finetune/models", null);
        assertThat(models.status()).isEqualTo(200);
        String base = null;
        for (JsonNode model : models.body()) {
            assertThat(model.path("name").isTextual()).as(model.toString()).isTrue();
            assertThat(model.path("type").asText()).isIn("base", "finetuned");
            if (model.path("type").asText().equals("base")
                    && model.path("id").asText().equals(StudioApi.BASE_MODEL)) {
                base = model.path("name").asText();
            }
        }
        assertThat(base).as(models.body().toString()).isNotNull();
        StudioApi.Answer toBase = api.send("POST", gw, "/api/finetune/switch-model?model_path=" + query(base), null);
        assertThat(toBase.status()).as(toBase.body().toString()).isEqualTo(200);

        StudioApi.Answer backend = api.send(
                "POST",
                gw,
                "/api/finetune/use-as-backend",
                "{\"task_id\":\"" + task.path("task_id").asText() + "\"}");
        assertThat(backend.status()).as(backend.body().toString()).isEqualTo(200);
        assertThat(backend.body().path("status").asText()).isEqualTo("success");
        assertThat(backend.body().path("message").asText()).isNotBlank();
        assertThat(backend.body().path("model_name").asText()).isNotBlank();
        assertThat(backend.body().path("model_path").asText())
                .startsWith(task.path("output_dir").asText());
    }

    @Test
    @Order(10)
    void errorsCarryADetailString() {
        assertDetail(
                api.send(
                        "POST",
                        gw,
                        "/api/finetune/create",
                        "{" + SEED_FORM + ",\"dataset_file\":\"" + root.resolve("nowhere.jsonl") + "\"}"),
                400);
        assertDetail(api.send("POST", gw, "/api/finetune/switch-model?model_path=no-such-model", null));
        assertDetail(api.send("GET", gw, "/api/finetune/tasks/no-such-task", null), 404);
        assertDetail(api.send(
                "POST", gw, "/api/finetune/tasks/" + task.path("task_id").asText() + "/cancel", null));
    }

    @Test
    @Order(11)
    void cancelAndDeleteAnswer200WithStatusAndMessage() {
        StudioApi.Answer slow = api.send(
                "POST",
                gw,
                "/api/finetune/create",
                "{" + SEED_FORM + ",\"dataset_file\":\"" + filePath + "\",\"suffix\":\"slow-me\"}");
        assertThat(slow.status()).as(slow.body().toString()).isEqualTo(201);
        String id = slow.body().path("task_id").asText();
        StudioApi.Answer cancelled = api.send("POST", gw, "/api/finetune/tasks/" + id + "/cancel", null);
        assertThat(cancelled.status()).as(cancelled.body().toString()).isEqualTo(200);
        assertThat(cancelled.body().path("status").isTextual()).isTrue();
        assertThat(cancelled.body().path("message").asText()).contains(id);
        api.awaitTask(id, Duration.ofMinutes(1), List.of("cancelled"));

        StudioApi.Answer deleted = api.send("DELETE", gw, "/api/finetune/tasks/" + id, null);
        assertThat(deleted.status()).as(deleted.body().toString()).isEqualTo(200);
        assertThat(deleted.body().path("status").asText()).isEqualTo("success");
        assertThat(deleted.body().path("message").asText()).contains(id);
        assertThat(api.send("GET", gw, "/api/finetune/tasks/" + id, null).status())
                .isEqualTo(404);
    }

    @Test
    @Order(12)
    void mergeTurnsAnAdapterIntoAMergedModelFromTheCli() {
        StudioApi.Answer created = api.send(
                "POST",
                gw,
                "/api/finetune/create",
                "{" + SEED_FORM + ",\"dataset_file\":\"" + filePath + "\",\"merge\":false}");
        assertThat(created.status()).as(created.body().toString()).isEqualTo(201);
        String id = created.body().path("task_id").asText();
        JsonNode done = api.awaitTask(id, Duration.ofMinutes(3), List.of("completed", "failed"));
        assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("completed");
        assertThat(done.path("artifacts").has("merged_model")).isFalse();

        Studio.Run merge = studio.sage("finetune", "merge", id, "--wait");
        assertThat(merge.exitCode()).as(merge.output()).isZero();
        JsonNode merged = api.task(id);
        assertThat(Path.of(merged.path("artifacts").path("merged_model").asText()))
                .isDirectory();
        assertThat(merged.path("status").asText()).isEqualTo("completed");
        StudioApi.Answer switched = api.send(
                "POST",
                gw,
                "/api/finetune/switch-model?model_path="
                        + query(merged.path("output_dir").asText()),
                null);
        assertThat(switched.status()).as(switched.body().toString()).isEqualTo(200);
        assertThat(switched.body().path("current_model").asText())
                .isEqualTo(merged.path("artifacts").path("merged_model").asText());
    }

    @Test
    @Order(13)
    void logsHelpNamesTheSeedsLogFiles() {
        Studio.Run help = studio.sage("studio", "logs", "--help");
        assertThat(help.exitCode()).as(help.output()).isZero();
        assertThat(help.output()).contains("gateway.log", "finetune_api.log");
    }

    @Test
    @Order(14)
    void deletingTheTrainedTaskAnswers200() {
        String id = task.path("task_id").asText();
        StudioApi.Answer deleted = api.send("DELETE", gw, "/api/finetune/tasks/" + id, null);
        assertThat(deleted.status()).as(deleted.body().toString()).isEqualTo(200);
        assertThat(deleted.body().path("status").asText()).isEqualTo("success");
        assertThat(deleted.body().path("message").asText()).isNotBlank();
    }
}
