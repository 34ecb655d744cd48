package io.sage.studio.finetune.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sage.studio.finetune.StudioTestResource;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * Experiment trackers end to end through the REST API, with the stand-in trainer as a real process: the service's
 * {@code studio.finetune.trackers.mlflow.tracking-uri} reaches a task's trainer because its {@code report_to} names
 * MLflow, the trainer's {@code tracker} records come back, and the task view (one task and the list) shows
 * TensorBoard's folder and the MLflow run id with its link; a task that does not name MLflow shows TensorBoard alone.
 */
@QuarkusTest
@TestProfile(TrackersApiTest.MlflowConfigured.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
class TrackersApiTest {

    private static final Duration LONG = Duration.ofSeconds(60);
    private static final String MLFLOW = "http://mlflow.test:5000";

    public static class MlflowConfigured implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("studio.finetune.trackers.mlflow.tracking-uri", MLFLOW);
        }
    }

    @Test
    void theTaskShowsTheTensorBoardFolderAndTheMlflowRunWithItsLink() {
        String id = create(List.of("tensorboard", "mlflow"));
        JsonPath task = awaitCompleted(id);

        assertThat(task.getList("trackers.name")).containsExactly("tensorboard", "mlflow");
        Map<String, Object> tensorboard = task.getMap("trackers[0]");
        assertThat(tensorboard).containsEntry("state", "active").containsEntry("log_dir", "tensorboard");
        assertThat(Path.of(task.getString("output_dir")).resolve("tensorboard")).isDirectory();

        Map<String, Object> mlflow = task.getMap("trackers[1]");
        assertThat(mlflow).containsEntry("state", "active");
        String runId = (String) mlflow.get("run_id");
        assertThat(runId).matches("[0-9a-f]{32}");
        assertThat(mlflow).containsEntry("url", MLFLOW + "/#/experiments/0/runs/" + runId);

        JsonPath list = given().get("/api/finetune/tasks")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(list.getList("find { it.task_id == '" + id + "' }.trackers.run_id"))
                .contains(runId);
    }

    @Test
    void aTaskThatNamesNoTrackerShowsTensorBoardAlone() {
        String id = create(null);
        JsonPath task = awaitCompleted(id);
        assertThat(task.getList("trackers.name")).containsExactly("tensorboard");
        assertThat(task.getString("trackers[0].log_dir")).isEqualTo("tensorboard");
    }

    private static String create(List<String> reportTo) {
        byte[] jsonl = "{\"prompt\":\"q\",\"completion\":\"a\"}\n{\"prompt\":\"q2\",\"completion\":\"a2\"}\n"
                .getBytes(StandardCharsets.UTF_8);
        String dataset = given().multiPart("file", "qa.jsonl", jsonl)
                .when()
                .post("/api/finetune/upload-dataset")
                .then()
                .statusCode(200)
                .extract()
                .path("dataset_id");
        Map<String, Object> body = new HashMap<>(
                Map.of("model_name", "Qwen/Qwen2.5-0.5B-Instruct", "dataset_file", dataset, "num_epochs", 1));
        if (reportTo != null) {
            body.put("report_to", reportTo);
        }
        return given().contentType(ContentType.JSON)
                .body(body)
                .when()
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .extract()
                .path("task_id");
    }

    private static JsonPath awaitCompleted(String id) {
        await().atMost(LONG)
                .until(() -> "completed"
                        .equals(given().get("/api/finetune/tasks/" + id)
                                .then()
                                .extract()
                                .path("status")));
        return given().get("/api/finetune/tasks/" + id)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }
}
