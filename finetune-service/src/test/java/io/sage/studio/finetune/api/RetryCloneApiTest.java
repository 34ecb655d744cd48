package io.sage.studio.finetune.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sage.studio.finetune.StudioTestResource;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * {@code POST /api/finetune/tasks/{id}/clone} and {@code …/retry} on the running service, with the stand-in trainer as
 * real processes: a clone trains on the source task's own dataset copy with the overrides; a cancelled task is retried
 * as attempt 2 under the same id, from its checkpoint (the first step after resuming is the checkpoint's step + 1) or
 * from the start.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
class RetryCloneApiTest {

    private static final Duration LONG = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The stand-in runs a task whose model name holds "slow-me" slowly (0.4 s a step here), so it can be cancelled. */
    private static final String SLOW_MODEL = "Qwen/slow-me-0.5B";

    private static String upload() {
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            jsonl.append("{\"prompt\":\"q")
                    .append(i)
                    .append("\",\"completion\":\"a")
                    .append(i)
                    .append("\"}\n");
        }
        return given().multiPart("file", "retry.jsonl", jsonl.toString().getBytes(StandardCharsets.UTF_8))
                .post("/api/finetune/upload-dataset")
                .then()
                .statusCode(200)
                .extract()
                .path("dataset_id");
    }

    private static String create(String model, String dataset) {
        Map<String, Object> body = new HashMap<>();
        body.put("model_name", model);
        body.put("dataset_file", dataset);
        body.put("num_epochs", 1);
        body.put("lora_r", 16);
        return given().contentType(ContentType.JSON)
                .body(body)
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .extract()
                .path("task_id");
    }

    private static Object field(String id, String path) {
        return given().get("/api/finetune/tasks/" + id)
                .then()
                .statusCode(200)
                .extract()
                .path(path);
    }

    private static void status(String id, String status) {
        await().atMost(LONG).until(() -> status.equals(field(id, "status")));
    }

    /** A slow task cancelled while training at step ≥ {@code minStep}: its trainer wrote a checkpoint. */
    private static String cancelledWhileTraining(int minStep) {
        String id = create(SLOW_MODEL, upload());
        await().atMost(LONG).until(() -> ((Number) field(id, "step")).intValue() >= minStep);
        given().post("/api/finetune/tasks/" + id + "/cancel").then().statusCode(200);
        status(id, "cancelled");
        return id;
    }

    private static List<JsonNode> records(Path file) throws Exception {
        return Files.readAllLines(file).stream()
                .map(line -> {
                    try {
                        return JSON.readTree(line);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                })
                .toList();
    }

    private static List<Long> steps(List<JsonNode> records) {
        return records.stream()
                .filter(r -> r.path("type").asText().equals("metrics"))
                .map(r -> r.path("step").asLong())
                .toList();
    }

    @Test
    void cloneWithAnOverrideTrainsTheSourcesDatasetCopyAndRecordsClonedFrom() throws Exception {
        String dataset = upload();
        String source = create("Qwen/Qwen2.5-0.5B-Instruct", dataset);
        status(source, "completed");
        // the clone uses the source task's own dataset.jsonl: the uploaded dataset may be gone
        given().delete("/api/finetune/datasets/" + dataset).then().statusCode(204);

        String clone = given().contentType(ContentType.JSON)
                .body(Map.of("lora_r", 8, "num_epochs", 2))
                .post("/api/finetune/tasks/" + source + "/clone")
                .then()
                .statusCode(201)
                .body("task_id", not(equalTo(source)))
                .body("cloned_from", equalTo(source))
                .body("model_name", equalTo("Qwen/Qwen2.5-0.5B-Instruct"))
                .body("method", equalTo("lora"))
                .body("config.lora_r", equalTo(8))
                .body("config.num_epochs", equalTo(2))
                .body("config.batch_size", equalTo(field(source, "config.batch_size")))
                .body("attempt", equalTo(1))
                .extract()
                .path("task_id");
        status(clone, "completed");
        Path dir = Path.of((String) field(clone, "output_dir"));
        JsonNode meta = JSON.readTree(dir.resolve("finetune_meta.json").toFile());
        assertThat(meta.path("cloned_from").asText()).isEqualTo(source);
        assertThat(JSON.readTree(dir.resolve("job.json").toFile())
                        .path("hyperparameters")
                        .path("lora_r")
                        .asInt())
                .isEqualTo(8);
        assertThat(dir.resolve("lora/adapter_config.json")).content().contains("\"r\": 8");
        given().get("/api/finetune/tasks/" + clone)
                .then()
                .body("attempts", hasSize(1))
                .body("attempts[0].outcome", equalTo("completed"));

        // a source without its own dataset copy (e.g. an old folder): 400 naming dataset_file, unless one is given
        Files.delete(Path.of((String) field(source, "output_dir")).resolve("dataset.jsonl"));
        given().contentType(ContentType.JSON)
                .body(Map.of("num_epochs", 1))
                .post("/api/finetune/tasks/" + source + "/clone")
                .then()
                .statusCode(400)
                .body("error.details.field", hasItem("dataset_file"))
                .body("error.message", containsString("dataset_file"));
        given().contentType(ContentType.JSON)
                .body(Map.of("dataset_file", upload()))
                .post("/api/finetune/tasks/" + source + "/clone")
                .then()
                .statusCode(201)
                .body("cloned_from", equalTo(source));

        // no body: the same settings again
        given().contentType(ContentType.JSON)
                .post("/api/finetune/tasks/" + clone + "/clone")
                .then()
                .statusCode(201)
                .body("cloned_from", equalTo(clone))
                .body("config.lora_r", equalTo(8));
    }

    @Test
    void cloneWithAnInvalidOverrideIs400NamingTheField() {
        String source = create("Qwen/Qwen2.5-0.5B-Instruct", upload());
        given().contentType(ContentType.JSON)
                .body(Map.of("lora_r", 0))
                .post("/api/finetune/tasks/" + source + "/clone")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("invalid_field"))
                .body("error.details.field", hasItem("lora_r"))
                .body("error.message", containsString("lora_r"));
        given().contentType(ContentType.JSON)
                .body(Map.of("num_epochs", "many"))
                .post("/api/finetune/tasks/" + source + "/clone")
                .then()
                .statusCode(400)
                .body("error.message", containsString("num_epochs"));
        given().contentType(ContentType.JSON)
                .body(Map.of("method", "full", "load_in_8bit", true))
                .post("/api/finetune/tasks/" + source + "/clone")
                .then()
                .statusCode(400)
                .body("error.details.field", hasItem("load_in_8bit"));
        given().contentType(ContentType.JSON)
                .body(Map.of("lora_r", 8))
                .post("/api/finetune/tasks/ft-20200101-000000-000000/clone")
                .then()
                .statusCode(404)
                .body("error.code", equalTo("task_not_found"));
    }

    @Test
    void retryOfACancelledTaskRunsAttempt2FromTheStart() throws Exception {
        String id = cancelledWhileTraining(1);
        given().contentType(ContentType.JSON)
                .body(Map.of("from_checkpoint", false))
                .post("/api/finetune/tasks/" + id + "/retry")
                .then()
                .statusCode(200)
                .body("task_id", equalTo(id))
                .body("status", equalTo("queued"))
                .body("attempt", equalTo(2))
                .body("step", equalTo(0))
                .body("progress", equalTo(0.0f))
                .body("error_code", nullValue())
                .body("completed_at", nullValue())
                .body("attempts", hasSize(2))
                .body("attempts[0].outcome", equalTo("cancelled"))
                .body("attempts[0].ended_at", notNullValue())
                .body("attempts[1].attempt", equalTo(2))
                .body("attempts[1].outcome", nullValue());
        status(id, "completed");
        given().get("/api/finetune/tasks/" + id)
                .then()
                .body("attempt", equalTo(2))
                .body("progress", equalTo(100.0f))
                .body("attempts.outcome", equalTo(List.of("cancelled", "completed")));
        Path dir = Path.of((String) field(id, "output_dir"));
        assertThat(JSON.readTree(dir.resolve("job.json").toFile())
                        .path("resume_from")
                        .isNull())
                .isTrue();
        assertThat(steps(records(dir.resolve("progress.jsonl")))).startsWith(1L, 2L);
        assertThat(dir.resolve("progress.attempt-1.jsonl")).isRegularFile();
        // attempt 1's checkpoint (its cancel saved one) is kept aside, never taken for attempt 2's
        assertThat(dir.resolve("checkpoints.attempt-1")).isDirectory();
        JsonNode meta = JSON.readTree(dir.resolve("finetune_meta.json").toFile());
        assertThat(meta.path("attempt").asInt()).isEqualTo(2);
        assertThat(meta.path("attempts").get(0).path("outcome").asText()).isEqualTo("cancelled");
    }

    @Test
    void retryFromTheCheckpointContinuesAtTheCheckpointsStepPlusOne() throws Exception {
        String id = cancelledWhileTraining(3);
        Path dir = Path.of((String) field(id, "output_dir"));
        JsonNode checkpoint = records(dir.resolve("progress.jsonl")).stream()
                .filter(r -> r.path("kind").asText().equals("checkpoint"))
                .reduce((a, b) -> b)
                .orElseThrow();
        long step = JSON.readTree(dir.resolve(checkpoint.path("path").asText())
                        .resolve("trainer_state.json")
                        .toFile())
                .path("step")
                .asLong();
        assertThat(step).isGreaterThanOrEqualTo(2);

        // no body: from_checkpoint defaults to true; the progress starts at the checkpoint, never at the old end
        given().contentType(ContentType.JSON)
                .post("/api/finetune/tasks/" + id + "/retry")
                .then()
                .statusCode(200)
                .body("status", equalTo("queued"))
                .body("attempt", equalTo(2))
                .body("step", equalTo((int) step));
        JsonNode job = JSON.readTree(dir.resolve("job.json").toFile());
        assertThat(job.path("resume_from").asText()).isEqualTo("checkpoints/step-" + step);
        JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                .getSchema(JSON.readTree(Path.of("..", "docs", "trainer-protocol", "job.schema.json")
                        .toFile()));
        assertThat(schema.validate(job)).isEmpty();
        status(id, "completed");

        List<JsonNode> records = records(dir.resolve("progress.jsonl"));
        int training = 0;
        while (!records.get(training).path("phase").asText().equals("training")) {
            training++;
        }
        List<Long> carried = steps(records.subList(0, training));
        List<Long> resumed = steps(records.subList(training, records.size()));
        assertThat(carried).isNotEmpty().allMatch(s -> s <= step);
        assertThat(resumed.get(0)).isEqualTo(step + 1);
        assertThat(records).noneMatch(r -> r.path("type").asText().equals("error"));
        given().get("/api/finetune/tasks/" + id + "/metrics")
                .then()
                .statusCode(200)
                .body("points.step", hasItem((int) step + 1));
        assertThat(Files.readString(dir.resolve("logs.txt"))).contains("at step " + step);
    }

    @Test
    void retryOfACompletedTaskIs409() {
        String id = create("Qwen/Qwen2.5-0.5B-Instruct", upload());
        status(id, "completed");
        given().contentType(ContentType.JSON)
                .body(Map.of("from_checkpoint", true))
                .post("/api/finetune/tasks/" + id + "/retry")
                .then()
                .statusCode(409)
                .body("error.code", equalTo("task_not_retryable"))
                .body("error.message", containsString("only a failed or cancelled task can be retried"));
        given().contentType(ContentType.JSON)
                .post("/api/finetune/tasks/ft-20200101-000000-000000/retry")
                .then()
                .statusCode(404);
    }
}
