package io.sage.studio.finetune;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * The service as a cluster install runs it: bearer tokens on and {@code studio.finetune.executor=kubernetes}, the
 * Job executor wired to the Quarkus Kubernetes client (the fabric8 mock API server in CRUD mode).
 */
@QuarkusTest
@TestProfile(ClusterModeTest.Cluster.class)
@WithKubernetesTestServer(crud = true)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
class ClusterModeTest {

    static final String ALICE = "alice-trainer-token-5b1c0e";
    static final String BOB = "bob-trainer-token-77d2a9";
    static final String VERA = "vera-viewer-token-0c3e4f";
    static final String ROOT = "root-admin-token-f00d42";
    static final String NS = "studio";

    /** Token authentication with two trainers, a viewer and an admin; the Kubernetes executor, polling quickly. */
    public static class Cluster implements QuarkusTestProfile {
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
                return Map.of(
                        "studio.auth.mode",
                        "token",
                        "studio.auth.tokens-file",
                        tokens.toString(),
                        "studio.events.signing-key",
                        "test-signing-key-0123456789abcdef",
                        "studio.finetune.executor",
                        "kubernetes",
                        "studio.finetune.kubernetes.namespace",
                        NS,
                        "studio.finetune.kubernetes.poll-interval",
                        "100ms",
                        "studio.finetune.kubernetes.image",
                        "registry.example/sage-trainer:9.9.9");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @KubernetesTestServer
    KubernetesServer server;

    private static RequestSpecification as(String token) {
        return given().header("Authorization", "Bearer " + token);
    }

    private static String create(String token) {
        String dataset = as(token)
                .multiPart("file", "d.jsonl", "{\"prompt\":\"p\",\"completion\":\"c\"}\n".getBytes())
                .post("/api/finetune/upload-dataset")
                .then()
                .statusCode(200)
                .extract()
                .path("dataset_id");
        return as(token)
                .contentType(ContentType.JSON)
                .body(Map.of("model_name", "Qwen/Qwen2.5-0.5B-Instruct", "dataset_file", dataset))
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .extract()
                .path("task_id");
    }

    private static String status(String id) {
        return as(VERA).get("/api/finetune/tasks/" + id).then().extract().path("status");
    }

    @Test
    void aCreatedTaskRunsAsAJobAndCompletesWithIt() throws IOException {
        String id = create(ALICE);
        as(VERA).get("/api/finetune/tasks/" + id).then().body("executor", equalTo("kubernetes"));

        KubernetesClient client = server.getClient();
        await().atMost(Duration.ofSeconds(30))
                .until(() ->
                        client.batch().v1().jobs().inNamespace(NS).withName(id).get() != null);
        Job job = client.batch().v1().jobs().inNamespace(NS).withName(id).get();
        assertThat(job.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                .isEqualTo("registry.example/sage-trainer:9.9.9");
        assertThat(status(id)).isEqualTo("preparing");

        Path dir = StudioTestResource.home().resolve("studio_finetune").resolve(id);
        Files.createDirectories(dir.resolve("lora"))
                .resolve("adapter_config.json")
                .toFile()
                .createNewFile();
        Files.writeString(dir.resolve("progress.jsonl"), "{\"type\":\"phase\",\"phase\":\"done\"}\n");
        job.setStatus(new JobStatusBuilder()
                .withSucceeded(1)
                .withConditions(new JobConditionBuilder()
                        .withType("Complete")
                        .withStatus("True")
                        .build())
                .build());
        client.batch().v1().jobs().inNamespace(NS).resource(job).updateStatus();
        await().atMost(Duration.ofSeconds(30)).until(() -> "completed".equals(status(id)));
        as(VERA).get("/api/finetune/models")
                .then()
                .body("find { it.task_id == '" + id + "' }.artifact", equalTo("lora"));
    }

    @Test
    void onlyTheOwnerOrAnAdminMayCancelOrDeleteATask() {
        String id = create(ALICE);
        as(VERA).contentType(ContentType.JSON)
                .body(Map.of("model_name", "m", "dataset_file", "x"))
                .post("/api/finetune/create")
                .then()
                .statusCode(403);
        as(VERA).get("/api/finetune/tasks/" + id).then().statusCode(200).body("owner", equalTo("alice"));

        as(BOB).post("/api/finetune/tasks/" + id + "/cancel")
                .then()
                .statusCode(403)
                .body("error.code", equalTo("not_owner"));
        given().post("/api/finetune/tasks/" + id + "/cancel").then().statusCode(401);
        as(ALICE).post("/api/finetune/tasks/" + id + "/cancel").then().statusCode(200);
        await().atMost(Duration.ofSeconds(30)).until(() -> "cancelled".equals(status(id)));
        assertThat(server.getClient()
                        .batch()
                        .v1()
                        .jobs()
                        .inNamespace(NS)
                        .withName(id)
                        .get())
                .isNull();

        as(BOB).delete("/api/finetune/tasks/" + id).then().statusCode(403).body("error.code", equalTo("not_owner"));
        as(ROOT).delete("/api/finetune/tasks/" + id).then().statusCode(200);
        as(ROOT).get("/api/finetune/tasks/" + id).then().statusCode(404);
    }

    @Test
    void datasetsRecordTheirOwnerAndOnlyTheOwnerOrAnAdminMayDeleteThem() {
        String id = as(ALICE)
                .multiPart("file", "d.jsonl", "{\"prompt\":\"p\",\"completion\":\"c\"}\n".getBytes())
                .post("/api/finetune/upload-dataset")
                .then()
                .statusCode(200)
                .body("owner", equalTo("alice"))
                .extract()
                .path("dataset_id");
        as(VERA).get("/api/finetune/datasets")
                .then()
                .statusCode(200)
                .body("find { it.dataset_id == '" + id + "' }.owner", equalTo("alice"));
        as(VERA).delete("/api/finetune/datasets/" + id).then().statusCode(403);
        as(BOB).delete("/api/finetune/datasets/" + id).then().statusCode(403);
        as(ROOT).delete("/api/finetune/datasets/" + id).then().statusCode(204);
        as(VERA).get("/api/finetune/datasets/" + id).then().statusCode(404);
    }
}
