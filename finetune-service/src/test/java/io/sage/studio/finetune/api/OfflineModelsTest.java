package io.sage.studio.finetune.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

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
 * checked the same way.
 */
@QuarkusTest
@TestProfile(OfflineModelsTest.Offline.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
class OfflineModelsTest {

    static final String CACHED = "Qwen/Qwen2.5-0.5B-Instruct";
    static final String MISSING = "meta-llama/Llama-3.1-8B-Instruct";

    /** Offline, with a cache that holds {@value #CACHED} only. */
    public static class Offline implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Path cache = Files.createTempDirectory("hf-cache-");
                Path snapshot = Files.createDirectories(
                        cache.resolve("hub/models--Qwen--Qwen2.5-0.5B-Instruct/snapshots/0123abcd"));
                Files.writeString(snapshot.resolve("config.json"), "{\"model_type\": \"qwen2\"}");
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
}
