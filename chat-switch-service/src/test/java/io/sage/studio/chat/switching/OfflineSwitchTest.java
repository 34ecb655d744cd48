package io.sage.studio.chat.switching;

import static io.restassured.RestAssured.given;
import static io.sage.studio.chat.support.Engines.BASE_A;
import static io.sage.studio.chat.support.Engines.BASE_B;
import static io.sage.studio.chat.support.Switches.serve;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.sage.studio.chat.support.Engines;
import io.sage.studio.chat.support.LocalEnvironment;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * {@code studio.models.offline=true} (an air-gapped install): a switch to a model whose weights are not in the Hugging
 * Face cache is refused before any engine starts (409 {@code model_not_cached} naming the model and the command that
 * fills the cache) - a base model by id, and the base of a fine-tuned LoRA adapter; a cached model is served.
 */
@QuarkusTest
@TestProfile(OfflineSwitchTest.Offline.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(LocalEnvironment.class)
class OfflineSwitchTest {

    /** Offline, with a cache that holds {@link Engines#BASE_A} only. */
    public static class Offline implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Path cache = Files.createTempDirectory("hf-cache-");
                Path snapshot = Files.createDirectories(
                        cache.resolve("hub/models--" + BASE_A.replace("/", "--") + "/snapshots/0123abcd"));
                Files.writeString(snapshot.resolve("config.json"), "{\"model_type\": \"qwen2\"}");
                return Map.of("studio.models.offline", "true", "studio.models.hf-home", cache.toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @BeforeEach
    void ready() {
        Switches.awaitServiceReady();
    }

    @Test
    void aModelNotInTheCacheIsRefusedBeforeAnEngineStartsAndACachedOneIsServed() {
        given().contentType(ContentType.JSON)
                .body(Map.of("model", BASE_B))
                .post("/api/chat/switch")
                .then()
                .statusCode(409)
                .body("error.code", equalTo("model_not_cached"))
                .body("error.message", containsString("huggingface-cli download " + BASE_B));

        Path lora = Engines.adapterDir(LocalEnvironment.home().resolve("studio_finetune/t-offline/lora"), 8, BASE_B);
        LocalEnvironment.finetune().task("t-offline", "completed", BASE_B, Map.of("lora", lora.toString()));
        given().contentType(ContentType.JSON)
                .body(Map.of("task_id", "t-offline"))
                .post("/api/chat/switch")
                .then()
                .statusCode(409)
                .body("error.code", equalTo("model_not_cached"))
                .body("error.message", containsString(BASE_B));

        assertThat(serve(Map.of("model", BASE_A)).getString("state")).isEqualTo("completed");
        given().post("/api/chat/stop").then().statusCode(200);
    }
}
