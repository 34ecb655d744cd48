package io.sage.studio.finetune.contract;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sage.studio.finetune.StudioTestResource;
import io.sage.studio.finetune.domain.TrainerPhase;
import io.sage.studio.finetune.progress.ProgressTracker;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * The studio's side of the trainer protocol (docs/trainer-protocol.md): the {@code job.json} it writes for a real
 * task validates against {@code job.schema.json}; the records a trainer wrote for it, and sample records the
 * schema allows (every type, optional fields null, an unknown type and field), validate against
 * {@code progress-record.schema.json} and are folded by {@link ProgressTracker} as documented.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
class TrainerProtocolSchemaTest {

    private static final Path SCHEMAS = Path.of("..", "docs", "trainer-protocol");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static JsonSchema schema(String name) throws IOException {
        return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                .getSchema(JSON.readTree(SCHEMAS.resolve(name).toFile()));
    }

    private static void assertValid(JsonSchema schema, JsonNode document) {
        assertThat(schema.validate(document))
                .as(document.toString())
                .extracting(ValidationMessage::getMessage)
                .isEmpty();
    }

    @Test
    void theJobJsonOfARealTaskAndItsRecordsMatchTheSchemas() throws IOException {
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            jsonl.append("{\"prompt\":\"q")
                    .append(i)
                    .append("\",\"completion\":\"a")
                    .append(i)
                    .append("\"}\n");
        }
        String dataset = given().multiPart("file", "qa.jsonl", jsonl.toString().getBytes(StandardCharsets.UTF_8))
                .when()
                .post("/api/finetune/upload-dataset")
                .then()
                .statusCode(200)
                .extract()
                .path("dataset_id");
        String id = given().contentType(ContentType.JSON)
                .body(Map.of(
                        "model_name",
                        "Qwen/Qwen2.5-0.5B-Instruct",
                        "dataset_file",
                        dataset,
                        "num_epochs",
                        1,
                        "method",
                        "qlora",
                        "lora_r",
                        8))
                .when()
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .extract()
                .path("task_id");
        ServiceTasks.awaitCompleted(id);
        Path taskDir = StudioTestResource.home().resolve("studio_finetune").resolve(id);

        JsonNode job = JSON.readTree(taskDir.resolve("job.json").toFile());
        assertValid(schema("job.schema.json"), job);
        assertThat(job.path("method").asText()).isEqualTo("qlora");

        JsonSchema record = schema("progress-record.schema.json");
        List<String> lines = Files.readAllLines(taskDir.resolve(ProgressTracker.FILE), StandardCharsets.UTF_8);
        assertThat(lines).isNotEmpty();
        for (String line : lines) {
            assertValid(record, JSON.readTree(line));
        }
    }

    @Test
    void aValidatingTasksJobJsonAndItsEvalRecordsMatchTheSchemas() throws IOException {
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            jsonl.append("{\"prompt\":\"e")
                    .append(i)
                    .append("\",\"completion\":\"f")
                    .append(i)
                    .append("\"}\n");
        }
        String dataset = given().multiPart(
                        "file", "eval.jsonl", jsonl.toString().getBytes(StandardCharsets.UTF_8))
                .post("/api/finetune/upload-dataset")
                .then()
                .statusCode(200)
                .extract()
                .path("dataset_id");
        String id = given().contentType(ContentType.JSON)
                .body(Map.of(
                        "model_name",
                        "Qwen/Qwen2.5-0.5B-Instruct",
                        "dataset_file",
                        dataset,
                        "num_epochs",
                        1,
                        "validation_split",
                        0.25,
                        "early_stopping_patience",
                        2))
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .extract()
                .path("task_id");
        ServiceTasks.awaitCompleted(id);
        Path taskDir = StudioTestResource.home().resolve("studio_finetune").resolve(id);
        JsonNode job = JSON.readTree(taskDir.resolve("job.json").toFile());
        assertValid(schema("job.schema.json"), job);
        assertThat(job.path("validation_path").asText()).isEqualTo("validation.jsonl");
        JsonSchema record = schema("progress-record.schema.json");
        List<JsonNode> records = new ArrayList<>();
        for (String line : Files.readAllLines(taskDir.resolve(ProgressTracker.FILE), StandardCharsets.UTF_8)) {
            records.add(JSON.readTree(line));
            assertValid(record, JSON.readTree(line));
        }
        assertThat(records)
                .extracting(r -> r.path("type").asText() + "/" + r.path("kind").asText())
                .contains("eval/", "early_stopping/", "artifact/best_checkpoint");
    }

    @Test
    void recordsTheSchemaAllowsAreFoldedIntoTheTask() throws IOException {
        String[] samples = {
            "{\"type\":\"phase\",\"phase\":\"loading_model\",\"time\":\"2025-01-31T12:00:00.123Z\"}",
            "{\"type\":\"phase\",\"phase\":\"training\",\"time\":\"2025-01-31T12:00:01.000Z\"}",
            "{\"type\":\"metrics\",\"step\":3,\"total_steps\":12,\"epoch\":0.25,\"loss\":null,\"learning_rate\":null,"
                    + "\"grad_norm\":null,\"tokens_per_second\":null,\"eta_seconds\":null,\"peak_memory_bytes\":null,"
                    + "\"time\":\"2025-01-31T12:00:02.000Z\"}",
            "{\"type\":\"metrics\",\"step\":6,\"total_steps\":12,\"epoch\":0.5,\"loss\":0.8313,\"learning_rate\":0.0002,"
                    + "\"grad_norm\":1.2,\"tokens_per_second\":2048.0,\"eta_seconds\":30,\"peak_memory_bytes\":3221225472,"
                    + "\"peak_memory_reserved_bytes\":4294967296,\"time\":\"2025-01-31T12:00:03.000Z\"}",
            "{\"type\":\"heartbeat\",\"time\":\"2025-01-31T12:00:03.500Z\",\"extra\":true}",
            "{\"type\":\"artifact\",\"kind\":\"checkpoint\",\"path\":\"checkpoints/step-6\",\"time\":\"2025-01-31T12:00:04.000Z\"}",
            "{\"type\":\"artifact\",\"kind\":\"lora\",\"path\":\"lora\",\"time\":\"2025-01-31T12:00:05.000Z\"}",
            "{\"type\":\"artifact\",\"kind\":\"merged_model\",\"path\":\"merged_model\",\"time\":\"2025-01-31T12:00:06.000Z\"}",
            "{\"type\":\"eval\",\"step\":3,\"epoch\":0.25,\"eval_loss\":0.91,\"time\":\"2025-01-31T12:00:06.100Z\"}",
            "{\"type\":\"eval\",\"step\":6,\"epoch\":0.5,\"eval_loss\":0.95,\"time\":\"2025-01-31T12:00:06.200Z\"}",
            "{\"type\":\"early_stopping\",\"step\":6,\"patience\":1,\"best_step\":3,\"best_eval_loss\":0.91,"
                    + "\"time\":\"2025-01-31T12:00:06.300Z\"}",
            "{\"type\":\"artifact\",\"kind\":\"best_checkpoint\",\"path\":\"checkpoints/step-3\",\"step\":3,"
                    + "\"eval_loss\":0.91,\"time\":\"2025-01-31T12:00:06.400Z\"}",
            "{\"type\":\"error\",\"code\":\"cuda_oom\",\"message\":\"lower batch_size\",\"time\":\"2025-01-31T12:00:07.000Z\"}",
            "{\"type\":\"phase\",\"phase\":\"done\",\"time\":\"2025-01-31T12:00:08.000Z\"}",
        };
        JsonSchema record = schema("progress-record.schema.json");
        for (String sample : samples) {
            assertValid(record, JSON.readTree(sample));
        }
        Files.writeString(tmp.resolve(ProgressTracker.FILE), String.join("\n", samples) + "\n", StandardCharsets.UTF_8);
        ProgressTracker tracker = new ProgressTracker(tmp);
        tracker.poll();
        assertThat(tracker.phase()).isEqualTo(TrainerPhase.DONE);
        assertThat(tracker.done()).isTrue();
        assertThat(tracker.step()).isEqualTo(6);
        assertThat(tracker.totalSteps()).isEqualTo(12);
        assertThat(tracker.epoch()).isEqualTo(0.5);
        assertThat(tracker.loss()).isEqualTo(0.8313);
        assertThat(tracker.learningRate()).isEqualTo(0.0002);
        assertThat(tracker.etaSeconds()).isEqualTo(30);
        assertThat(tracker.artifacts())
                .containsOnly(Map.entry("lora", "lora"), Map.entry("merged_model", "merged_model"));
        assertThat(tracker.evalLoss()).isEqualTo(0.95);
        assertThat(tracker.bestEvalLoss()).isEqualTo(0.91);
        assertThat(tracker.bestStep()).isEqualTo(3L);
        assertThat(tracker.errorCode()).isEqualTo("cuda_oom");
        assertThat(tracker.errorMessage()).isEqualTo("lower batch_size");
    }

    @Test
    void recordsTheSchemaRejects() throws IOException {
        JsonSchema record = schema("progress-record.schema.json");
        for (String bad : List.of(
                "{\"type\":\"phase\",\"phase\":\"warming_up\",\"time\":\"2025-01-31T12:00:00Z\"}",
                "{\"type\":\"metrics\",\"total_steps\":12,\"time\":\"2025-01-31T12:00:00Z\"}",
                "{\"type\":\"artifact\",\"kind\":\"weights\",\"path\":\"w\",\"time\":\"2025-01-31T12:00:00Z\"}",
                "{\"type\":\"error\",\"message\":\"no code\",\"time\":\"2025-01-31T12:00:00Z\"}",
                "{\"type\":\"eval\",\"step\":3,\"time\":\"2025-01-31T12:00:00Z\"}",
                "{\"type\":\"artifact\",\"kind\":\"best_checkpoint\",\"path\":\"c\",\"time\":\"2025-01-31T12:00:00Z\"}",
                "{\"type\":\"phase\",\"phase\":\"done\"}")) {
            assertThat(record.validate(JSON.readTree(bad))).as(bad).isNotEmpty();
        }
    }
}
