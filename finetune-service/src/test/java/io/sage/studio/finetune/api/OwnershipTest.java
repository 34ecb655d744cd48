package io.sage.studio.finetune.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.awaitility.Awaitility.await;

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
import io.restassured.specification.RequestSpecification;
import io.sage.studio.finetune.StudioTestResource;
import io.sage.studio.kafka.KafkaTestResource;

/** With bearer tokens on, a task belongs to whoever created it: only they or an admin may cancel or delete it. */
@QuarkusTest
@TestProfile(OwnershipTest.Tokens.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
class OwnershipTest {

    static final String ALICE = "alice-trainer-token-5b1c0e";
    static final String BOB = "bob-trainer-token-77d2a9";
    static final String VERA = "vera-viewer-token-0c3e4f";
    static final String ROOT = "root-admin-token-f00d42";

    /** Mode {@code token} with two trainers, a viewer and an admin. */
    public static class Tokens implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Path tokens = Files.createTempFile("studio-tokens-", ".json");
                Files.writeString(tokens, """
                        {"tokens": [
                          {"name": "alice", "role": "trainer", "token": "%s"},
                          {"name": "bob", "role": "trainer", "token": "%s"},
                          {"name": "vera", "role": "viewer", "token": "%s"},
                          {"name": "root", "role": "admin", "token": "%s"}
                        ]}
                        """.formatted(ALICE, BOB, VERA, ROOT));
                return Map.of("studio.auth.mode", "token", "studio.auth.tokens-file", tokens.toString(),
                        "studio.finetune.local.env.FAKE_TRAINER_STEPS", "100000");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static RequestSpecification as(String token) {
        return given().header("Authorization", "Bearer " + token);
    }

    @Test
    void onlyTheOwnerOrAnAdminMayCancelOrDeleteATask() {
        String dataset = as(ALICE).multiPart("file", "d.jsonl", "{\"prompt\":\"p\",\"completion\":\"c\"}\n".getBytes())
                .post("/api/finetune/upload-dataset").then().statusCode(200).extract().path("dataset_id");
        Map<String, Object> body = Map.of("model_name", "Qwen/Qwen2.5-0.5B-Instruct", "dataset_file", dataset);
        as(VERA).contentType(ContentType.JSON).body(body).post("/api/finetune/create").then().statusCode(403);
        String id = as(ALICE).contentType(ContentType.JSON).body(body).post("/api/finetune/create").then()
                .statusCode(201).body("owner", equalTo("alice")).extract().path("task_id");

        as(BOB).post("/api/finetune/tasks/" + id + "/cancel").then().statusCode(403)
                .body("error.code", equalTo("not_owner"));
        as(VERA).get("/api/finetune/tasks/" + id).then().statusCode(200).body("owner", equalTo("alice"));
        as(ALICE).post("/api/finetune/tasks/" + id + "/cancel").then().statusCode(200);
        given().post("/api/finetune/tasks/" + id + "/cancel").then().statusCode(401);

        as(BOB).delete("/api/finetune/tasks/" + id).then().statusCode(403).body("error.code", equalTo("not_owner"));
        await().until(() -> as(VERA).get("/api/finetune/tasks/" + id).then().extract()
                .path("status").equals("cancelled"));
        as(ROOT).delete("/api/finetune/tasks/" + id).then().statusCode(204);
        as(ROOT).get("/api/finetune/tasks/" + id).then().statusCode(404);
    }
}
