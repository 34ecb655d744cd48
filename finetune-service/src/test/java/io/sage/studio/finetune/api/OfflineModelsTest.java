package io.sage.studio.finetune.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.sage.studio.finetune.StudioTestResource;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * {@code studio.models.offline=true} (an air-gapped install): a task whose base model is not in the Hugging Face cache
 * is refused at creation (409 {@code model_not_cached} naming the model and the command that fills the cache) instead
 * of failing minutes later in the trainer; a model with a snapshot in {@code $HF_HOME/hub} is accepted. Clones are
 * checked the same way, and so are a retry and a resume (the cache may have lost the model since the task was created).
 */
@QuarkusTest
@TestProfile(OfflineModelsTest.Offline.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
class OfflineModelsTest {

    static final String CACHED = "Qwen/Qwen2.5-0.5B-Instruct";
    static final String MISSING = "meta-llama/Llama-3.1-8B-Instruct";
    /** Cached too; the stand-in trains a model whose name holds "slow-me" slowly, so its task can be paused. */
    static final String SLOW = "Qwen/slow-me-0.5B";

    private static String snapshotOf(String model) {
        return "hub/models--" + model.replace("/", "--") + "/snapshots/0123abcd";
    }

    /** Offline, with a cache that holds {@value #CACHED} only. */
    public static class Offline implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Path cache = Files.createTempDirectory("hf-cache-");
                for (String model : List.of(CACHED, SLOW)) {
                    Path snapshot = Files.createDirectories(cache.resolve(snapshotOf(model)));
                    Files.writeString(snapshot.resolve("config.json"), "{\"model_type\": \"qwen2\"}");
                }
                return Map.of("studio.models.offline", "true", "studio.models.hf-home", cache.toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static String dataset() {
        return given().multiPart("file", "d.jsonl", "{\"prompt\":\"p\",\"completion\":\"c\"}\n".getBytes())
                .post("/api/finetune/upload-dataset")
                .then()
                .statusCode(200)
                .extract()
                .path("dataset_id");
    }

    @Test
    void aModelNotInTheCacheIsRefusedAtCreationAndACachedOneIsQueued() {
        String dataset = dataset();
        given().contentType(ContentType.JSON)
                .body(Map.of("model_name", MISSING, "dataset_file", dataset))
                .post("/api/finetune/create")
                .then()
                .statusCode(409)
                .body("error.code", equalTo("model_not_cached"))
                .body("error.message", containsString(MISSING))
                .body("error.message", containsString("huggingface-cli download " + MISSING));

        String id = given().contentType(ContentType.JSON)
                .body(Map.of("model_name", CACHED, "dataset_file", dataset))
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .extract()
                .path("task_id");

        given().contentType(ContentType.JSON)
                .body(Map.of("model_name", MISSING))
                .post("/api/finetune/tasks/" + id + "/clone")
                .then()
                .statusCode(409)
                .body("error.code", equalTo("model_not_cached"));
    }

    @Test
    void retryAndResumeCheckTheCacheAgain() throws IOException {
        String dataset = dataset();
        String paused = create(SLOW, dataset);
        given().post("/api/finetune/tasks/" + paused + "/pause").then().statusCode(200);
        status(paused, "paused");
        String cancelled = create(SLOW, dataset);
        given().post("/api/finetune/tasks/" + cancelled + "/cancel").then().statusCode(200);
        status(cancelled, "cancelled");

        Path cache = Path.of(ConfigProvider.getConfig().getValue("studio.models.hf-home", String.class));
        Path snapshot = cache.resolve(snapshotOf(SLOW));
        Path away = Files.move(snapshot, cache.resolve("moved-away")); // out of hub/: not a snapshot any more
        try {
            given().post("/api/finetune/tasks/" + paused + "/resume")
                    .then()
                    .statusCode(409)
                    .body("error.code", equalTo("model_not_cached"))
                    .body("error.message", containsString("huggingface-cli download " + SLOW));
            given().contentType(ContentType.JSON)
                    .body(Map.of("from_checkpoint", true))
                    .post("/api/finetune/tasks/" + cancelled + "/retry")
                    .then()
                    .statusCode(409)
                    .body("error.code", equalTo("model_not_cached"))
                    .body("error.details.field", hasItem("model_name"));
            assertThat(field(paused, "status")).isEqualTo("paused"); // nothing changed
            assertThat(field(cancelled, "attempt")).isEqualTo(1);
        } finally {
            Files.move(away, snapshot);
        }
        given().post("/api/finetune/tasks/" + paused + "/resume").then().statusCode(200);
        given().contentType(ContentType.JSON)
                .body(Map.of("from_checkpoint", true))
                .post("/api/finetune/tasks/" + cancelled + "/retry")
                .then()
                .statusCode(200)
                .body("attempt", equalTo(2));
    }

    private static String create(String model, String dataset) {
        return given().contentType(ContentType.JSON)
                .body(Map.of("model_name", model, "dataset_file", dataset))
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .extract()
                .path("task_id");
    }

    private static Object field(String id, String path) {
        return given().get("/api/finetune/tasks/" + id).then().extract().path(path);
    }

    private static void status(String id, String status) {
        await().atMost(Duration.ofSeconds(60)).until(() -> status.equals(field(id, "status")));
    }
}
