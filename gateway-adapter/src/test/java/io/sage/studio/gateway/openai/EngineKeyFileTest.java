package io.sage.studio.gateway.openai;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sage.studio.common.engine.EngineApiKey;
import io.sage.studio.gateway.support.RoutePublisher;
import io.sage.studio.gateway.support.StandInBackend;
import io.sage.studio.gateway.support.StandInServices;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * Without {@code studio.engines.api-key}, the engine key is the file the chat-switch service writes into the studio
 * home: the gateway sends nothing while there is none, the file's key once it exists (seen at the next route change
 * or within seconds), and a rotated key after it changed.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StandInServices.class, scope = TestResourceScope.GLOBAL)
class EngineKeyFileTest {

    private static final String CHAT =
            "{\"model\":\"sage-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final Path KEY_FILE =
            StandInServices.home().resolve("studio/chat").resolve(EngineApiKey.FILE_NAME);

    private static StandInBackend engine;

    @BeforeAll
    static void startEngine() {
        engine = StandInBackend.start("qwen-file-key");
    }

    @AfterAll
    static void stopEngine() throws Exception {
        engine.close();
    }

    @BeforeEach
    void route() throws Exception {
        Files.deleteIfExists(KEY_FILE);
        engine.reset();
        RoutePublisher.active(engine, "base", "qwen file key");
    }

    @AfterEach
    void noKeyForTheOthers() throws Exception {
        Files.deleteIfExists(KEY_FILE);
        RoutePublisher.active(engine, "base", "qwen file key");
    }

    private static int chat() {
        return given().contentType(ContentType.JSON)
                .header("Authorization", "Bearer sk-client")
                .body(CHAT)
                .post("/v1/chat/completions")
                .then()
                .extract()
                .statusCode();
    }

    private static void writeKey(String key, long modifiedAt) throws Exception {
        Files.createDirectories(KEY_FILE.getParent());
        Files.writeString(KEY_FILE, key + "\n");
        Files.setLastModifiedTime(KEY_FILE, FileTime.fromMillis(modifiedAt));
    }

    @Test
    void withoutAKeyNothingIsSent() {
        assertThat(chat()).isEqualTo(200);
        assertThat(engine.last().headers().contains("Authorization")).isFalse();
    }

    @Test
    void theKeyFileIsSentOnceItExistsAndARotatedKeyWithinSeconds() throws Exception {
        String key = "sk-sage-" + UUID.randomUUID();
        writeKey(key, System.currentTimeMillis());
        engine.requireKey(key);
        // A switch (a route change) is when engines with a new key come: the gateway looks at the file again.
        RoutePublisher.active(engine, "finetuned", "qwen file key");
        assertThat(chat()).isEqualTo(200);
        assertThat(engine.last().headers().getAll("Authorization")).containsExactly("Bearer " + key);

        String rotated = "sk-sage-" + UUID.randomUUID();
        writeKey(rotated, System.currentTimeMillis() + 5_000);
        engine.requireKey(rotated);
        // Same route: the cached key is looked at again within EngineAuthorization.RECHECK_NANOS (5 s).
        await().atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> chat() == 200);
        assertThat(engine.last().headers().getAll("Authorization")).containsExactly("Bearer " + rotated);
    }
}
