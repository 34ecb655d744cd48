package io.sage.studio.finetune.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sage.studio.finetune.GpuFixtures;
import io.sage.studio.finetune.StudioTestResource;
import io.sage.studio.finetune.gpu.TelemetryGpuInventory;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * The task shape of issue 21 on the running service (local executor, one 24 GiB GPU in telemetry - the same event
 * {@code TaskApiTest} publishes): {@code nodes} above 1, more {@code gpus} than the machine has, and out-of-range or
 * unknown values are 400 naming the field; a one-GPU task stores {@code parallelism: none} whatever it asked, and its
 * own {@code save_steps} reaches {@code job.json}, which has no {@code distributed} block; a clone copies them and
 * its overrides are checked the same way.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
class TaskShapeApiTest {

    private static final Duration LONG = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    TelemetryGpuInventory telemetry;

    @BeforeAll
    static void oneGpuInTelemetry() throws Exception {
        GpuFixtures.publish(GpuFixtures.oneL4());
    }

    private static String upload() {
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            jsonl.append("{\"prompt\":\"s")
                    .append(i)
                    .append("\",\"completion\":\"t")
                    .append(i)
                    .append("\"}\n");
        }
        return given().multiPart("file", "shape.jsonl", jsonl.toString().getBytes(StandardCharsets.UTF_8))
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

    private static void refused(Map<String, Object> body, String field, String says) {
        given().contentType(ContentType.JSON)
                .body(body)
                .post("/api/finetune/create")
                .then()
                .statusCode(400)
                .body("error.details.field", hasItem(field))
                .body("error.message", containsString(says));
    }

    @Test
    void shapesThatCanNeverRunAre400NamingTheField() {
        await().atMost(LONG).until(() -> !telemetry.localGpus().isEmpty());
        String dataset = upload();
        refused(body(dataset, "nodes", 2), "nodes", "Kubernetes executor");
        refused(body(dataset, "gpus", 2), "gpus", "cannot ever fit: this machine (gpu-node-1) has 1 GPU(s)");
        refused(body(dataset, "gpus", 65), "gpus", "gpus");
        refused(body(dataset, "gpus", 0), "gpus", "gpus");
        refused(body(dataset, "nodes", 0), "nodes", "nodes");
        refused(body(dataset, "parallelism", "tp"), "parallelism", "parallelism");
        refused(body(dataset, "save_steps", 0), "save_steps", "save_steps");
    }

    @Test
    void aOneGpuTaskRunsWithoutParallelismAndItsOwnSaveSteps() throws IOException {
        String id = given().contentType(ContentType.JSON)
                .body(body(upload(), "gpus", 1, "parallelism", "fsdp", "save_steps", 3))
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .extract()
                .path("task_id");
        JsonPath task = given().get("/api/finetune/tasks/" + id)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(task.getInt("config.gpus")).isEqualTo(1);
        assertThat(task.getInt("config.nodes")).isEqualTo(1);
        assertThat(task.getString("config.parallelism")).isEqualTo("none");
        assertThat(task.getInt("config.save_steps")).isEqualTo(3);
        Path dir = StudioTestResource.home().resolve("studio_finetune").resolve(id);
        JsonNode job = JSON.readTree(dir.resolve("job.json").toFile());
        assertThat(job.path("hyperparameters").path("save_steps").asInt()).isEqualTo(3);
        assertThat(job.has("distributed")).isFalse();

        // a clone copies the shape and save_steps, and its overrides are checked like a create's
        String clone = given().contentType(ContentType.JSON)
                .body(Map.of("suffix", "again"))
                .post("/api/finetune/tasks/" + id + "/clone")
                .then()
                .statusCode(201)
                .extract()
                .path("task_id");
        JsonPath cloned =
                given().get("/api/finetune/tasks/" + clone).then().extract().jsonPath();
        assertThat(cloned.getInt("config.save_steps")).isEqualTo(3);
        assertThat(cloned.getString("config.parallelism")).isEqualTo("none");
        given().contentType(ContentType.JSON)
                .body(Map.of("nodes", 2))
                .post("/api/finetune/tasks/" + id + "/clone")
                .then()
                .statusCode(400)
                .body("error.details.field", hasItem("nodes"));
        for (String each : List.of(id, clone)) {
            await().atMost(LONG)
                    .until(() -> List.of("completed", "failed")
                            .contains(given().get("/api/finetune/tasks/" + each)
                                    .then()
                                    .extract()
                                    .path("status")));
        }
    }
}
