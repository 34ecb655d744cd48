package io.sage.studio.finetune.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sage.studio.finetune.StudioTestResource;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * Validation during training (issue 19) on the running service with the stand-in trainer: {@code POST /create} with
 * {@code validation_split} → the task shows {@code eval_loss}, {@code best_eval_loss} and {@code best_step} (those of
 * the trainer's {@code eval} records and {@code best_checkpoint}), {@code GET …/metrics} has eval points beside the
 * training points, a clone carries the settings; bad settings are 400 naming the field.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
class ValidationApiTest {

    private static final Duration LONG = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String upload(int rows) {
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < rows; i++) {
            jsonl.append("{\"prompt\":\"v")
                    .append(i)
                    .append("\",\"completion\":\"w")
                    .append(i)
                    .append("\"}\n");
        }
        return given().multiPart("file", "validation.jsonl", jsonl.toString().getBytes(StandardCharsets.UTF_8))
                .post("/api/finetune/upload-dataset")
                .then()
                .statusCode(200)
                .extract()
                .path("dataset_id");
    }

    private static Map<String, Object> body(String dataset, Object... fields) {
        Map<String, Object> body = new HashMap<>();
        body.put("model_name", "Qwen/Qwen2.5-0.5B-Instruct");
        body.put("dataset_file", dataset);
        body.put("num_epochs", 1);
        for (int i = 0; i < fields.length; i += 2) {
            body.put((String) fields[i], fields[i + 1]);
        }
        return body;
    }

    private static JsonPath task(String id) {
        return given().get("/api/finetune/tasks/" + id)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    private static List<JsonNode> records(Path dir, String type) throws Exception {
        return Files.readAllLines(dir.resolve("progress.jsonl")).stream()
                .map(line -> {
                    try {
                        return JSON.readTree(line);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                })
                .filter(r -> r.path("type").asText().equals(type))
                .toList();
    }

    @Test
    void aSplitTaskShowsItsEvalLossBestStepAndEvalPointsAndItsCloneKeepsTheSettings() throws Exception {
        String dataset = upload(20);
        String id = given().contentType(ContentType.JSON)
                .body(body(dataset, "validation_split", 0.25, "early_stopping_patience", 3, "seed", 11))
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .body("config.validation_split", equalTo(0.25f))
                .body("config.early_stopping_patience", equalTo(3))
                .body("config.seed", equalTo(11))
                .extract()
                .path("task_id");
        await().atMost(LONG).until(() -> "completed".equals(task(id).getString("status")));
        JsonPath done = task(id);
        Path dir = Path.of(done.getString("output_dir"));
        assertThat(Files.readAllLines(dir.resolve("validation.jsonl"))).hasSize(5);

        List<JsonNode> evals = records(dir, "eval");
        JsonNode lowest = evals.stream()
                .min((a, b) -> Double.compare(
                        a.path("eval_loss").asDouble(), b.path("eval_loss").asDouble()))
                .orElseThrow();
        assertThat(done.getDouble("eval_loss"))
                .isEqualTo(evals.get(evals.size() - 1).path("eval_loss").asDouble());
        assertThat(done.getDouble("best_eval_loss"))
                .isEqualTo(lowest.path("eval_loss").asDouble());
        assertThat(done.getLong("best_step")).isEqualTo(lowest.path("step").asLong());
        // patience 3: the run stopped three evaluations after its best
        assertThat(records(dir, "early_stopping")).hasSize(1);
        assertThat(evals.get(evals.size() - 1).path("step").asLong()).isEqualTo(done.getLong("best_step") + 3);
        assertThat(records(dir, "artifact"))
                .filteredOn(r -> r.path("kind").asText().equals("best_checkpoint"))
                .singleElement()
                .satisfies(r -> assertThat(r.path("step").asLong()).isEqualTo(done.getLong("best_step")));

        JsonPath metrics = given().get("/api/finetune/tasks/" + id + "/metrics")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        List<Float> evalLosses = metrics.getList("points.findAll { it.eval_loss != null }.eval_loss", Float.class);
        assertThat(evalLosses).hasSize(evals.size());
        assertThat(metrics.getList("points.findAll { it.loss != null }")).isNotEmpty();

        String clone = given().contentType(ContentType.JSON)
                .body("{}")
                .post("/api/finetune/tasks/" + id + "/clone")
                .then()
                .statusCode(201)
                .body("config.validation_split", equalTo(0.25f))
                .body("config.early_stopping_patience", equalTo(3))
                .body("config.seed", equalTo(11))
                .extract()
                .path("task_id");
        Path cloneDir = Path.of(task(clone).getString("output_dir"));
        assertThat(Files.readAllLines(cloneDir.resolve("validation.jsonl")))
                .containsExactlyInAnyOrderElementsOf(Files.readAllLines(dir.resolve("validation.jsonl")));
        JsonNode job = JSON.readTree(cloneDir.resolve("job.json").toFile());
        assertThat(job.path("validation_path").asText()).isEqualTo("validation.jsonl");
        assertThat(job.path("hyperparameters").path("early_stopping_patience").asInt())
                .isEqualTo(3);

        // an override of the other kind replaces the split; both at once is refused
        String other = upload(3);
        given().contentType(ContentType.JSON)
                .body(Map.of("validation_file", other))
                .post("/api/finetune/tasks/" + id + "/clone")
                .then()
                .statusCode(201)
                .body("config.validation_file", equalTo(other))
                .body("config.validation_split", equalTo(null));
        given().contentType(ContentType.JSON)
                .body(Map.of("validation_file", other, "validation_split", 0.1))
                .post("/api/finetune/tasks/" + id + "/clone")
                .then()
                .statusCode(400)
                .body("error.details.field", hasItem("validation_file"));
    }

    @Test
    void badValidationSettingsAre400NamingTheField() {
        String dataset = upload(4);
        Map<String, Object[]> cases = new LinkedHashMap<>();
        cases.put("validation_split", new Object[] {"validation_split", 0.7});
        cases.put("validation_split ", new Object[] {"validation_split", 0});
        cases.put("validation_split  ", new Object[] {"validation_split", 0.1}); // 4 rows: none held out
        cases.put("eval_steps", new Object[] {"eval_steps", 5});
        cases.put("early_stopping_patience", new Object[] {"validation_split", 0.5, "early_stopping_patience", 0});
        cases.put("validation_file", new Object[] {"validation_file", "nowhere.jsonl"});
        cases.put("validation_file ", new Object[] {"validation_file", dataset, "validation_split", 0.25});
        cases.forEach((field, fields) -> given().contentType(ContentType.JSON)
                .body(body(dataset, fields))
                .post("/api/finetune/create")
                .then()
                .statusCode(400)
                .body("error.details.field", hasItem(field.strip()))
                .body("error.message", containsString(field.strip())));
    }
}
