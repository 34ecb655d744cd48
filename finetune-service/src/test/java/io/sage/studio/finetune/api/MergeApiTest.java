package io.sage.studio.finetune.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sage.studio.finetune.StudioTestResource;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * {@code POST /api/finetune/tasks/{id}/merge} on the running service, with the stand-in trainer as real processes: a
 * LoRA task trained with {@code merge: false} is merged afterwards, and its {@code merged_model} is listed.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
class MergeApiTest {

    private static final Duration LONG = Duration.ofSeconds(60);

    private static String upload() {
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            jsonl.append("{\"prompt\":\"q")
                    .append(i)
                    .append("\",\"completion\":\"a")
                    .append(i)
                    .append("\"}\n");
        }
        return given().multiPart("file", "merge.jsonl", jsonl.toString().getBytes(StandardCharsets.UTF_8))
                .post("/api/finetune/upload-dataset")
                .then()
                .statusCode(200)
                .extract()
                .path("dataset_id");
    }

    private static String create(String method, boolean merge) {
        return create(method, merge, null);
    }

    private static String create(String method, boolean merge, String suffix) {
        Map<String, Object> body = new HashMap<>();
        if (suffix != null) {
            body.put("suffix", suffix);
        }
        body.put("model_name", "Qwen/Qwen2.5-0.5B-Instruct");
        body.put("dataset_file", upload());
        body.put("num_epochs", 1);
        body.put("method", method);
        body.put("merge", merge);
        return given().contentType(ContentType.JSON)
                .body(body)
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .extract()
                .path("task_id");
    }

    private static String field(String id, String path) {
        Object value = given().get("/api/finetune/tasks/" + id)
                .then()
                .statusCode(200)
                .extract()
                .path(path);
        return value == null ? null : value.toString();
    }

    private static void completed(String id) {
        await().atMost(LONG).until(() -> "completed".equals(field(id, "status")));
    }

    @Test
    void aLoraTaskTrainedWithoutMergeIsMergedAndItsMergedModelListed() throws Exception {
        String id = create("lora", false);
        completed(id);
        given().get("/api/finetune/tasks/" + id).then().body("artifacts", not(hasKey("merged_model")));

        given().post("/api/finetune/tasks/" + id + "/merge")
                .then()
                .statusCode(202)
                .body("task_id", equalTo(id))
                .body("status", equalTo("completed"))
                .body("merge_run.state", notNullValue());
        await().atMost(LONG).until(() -> "succeeded".equals(field(id, "merge_run.state")));
        given().get("/api/finetune/tasks/" + id)
                .then()
                .body("status", equalTo("completed"))
                .body("phase", equalTo("done"))
                .body("artifacts.merged_model", endsWith(id + "/merged_model"))
                .body("merge_run.error_code", nullValue())
                .body("merge_run.finished_at", notNullValue());
        Path merged = Path.of(field(id, "artifacts.merged_model"));
        assertThat(merged.resolve("config.json")).isRegularFile();
        given().get("/api/finetune/models")
                .then()
                .statusCode(200)
                .body("id", hasItem(id + "/merged_model"))
                .body("find { it.id == '" + id + "/merged_model' }.artifact", equalTo("merged"));

        given().post("/api/finetune/tasks/" + id + "/merge")
                .then()
                .statusCode(409)
                .body("error.code", equalTo("already_merged"))
                .body("error.message", containsString("force=true"));
        given().post("/api/finetune/tasks/" + id + "/merge?force=true").then().statusCode(202);
        await().atMost(LONG).until(() -> "succeeded".equals(field(id, "merge_run.state")));
    }

    @Test
    void cancelDuringAMergeStopsTheMergeOnlyAndDeleteWaitsForIt() {
        // "merge-slowly" in the task id: the stand-in's merge takes 30 s
        String id = create("lora", false, "merge-slowly");
        completed(id);
        given().post("/api/finetune/tasks/" + id + "/merge").then().statusCode(202);
        await().atMost(LONG).until(() -> "running".equals(field(id, "merge_run.state")));
        given().get("/api/finetune/tasks/" + id).then().body("phase", equalTo("merging"));
        given().post("/api/finetune/tasks/" + id + "/merge?force=true")
                .then()
                .statusCode(409)
                .body("error.code", equalTo("merge_in_progress"));
        given().delete("/api/finetune/tasks/" + id).then().statusCode(409).body("error.code", equalTo("task_active"));

        given().post("/api/finetune/tasks/" + id + "/cancel")
                .then()
                .statusCode(200)
                .body("status", equalTo("completed"))
                .body("merge_run.cancel_requested", equalTo(true))
                .body("message", containsString("merge"));
        await().atMost(LONG).until(() -> "cancelled".equals(field(id, "merge_run.state")));
        given().get("/api/finetune/tasks/" + id)
                .then()
                .body("status", equalTo("completed"))
                .body("artifacts", not(hasKey("merged_model")));
        given().delete("/api/finetune/tasks/" + id).then().statusCode(200);
    }

    @Test
    void mergesThatCannotBeAre404Or409() {
        given().post("/api/finetune/tasks/ft-20200101-000000-000000/merge")
                .then()
                .statusCode(404)
                .body("error.code", equalTo("task_not_found"));

        String full = create("full", false);
        completed(full);
        given().post("/api/finetune/tasks/" + full + "/merge")
                .then()
                .statusCode(409)
                .body("error.code", equalTo("nothing_to_merge"));
    }
}
