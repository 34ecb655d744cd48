package io.sage.studio.finetune.executor.kubernetes;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

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
import io.sage.studio.finetune.StudioTestResource;
import io.sage.studio.kafka.KafkaTestResource;

/** {@code studio.finetune.executor=kubernetes} wires the Job executor to the Quarkus Kubernetes client. */
@QuarkusTest
@TestProfile(KubernetesExecutorWiringTest.Cluster.class)
@WithKubernetesTestServer(crud = true)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
class KubernetesExecutorWiringTest {

    /** The Kubernetes executor, polling quickly. */
    public static class Cluster implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("studio.finetune.executor", "kubernetes",
                    "studio.finetune.kubernetes.namespace", "studio",
                    "studio.finetune.kubernetes.poll-interval", "100ms",
                    "studio.finetune.kubernetes.image", "registry.example/sage-trainer:9.9.9");
        }
    }

    @KubernetesTestServer
    KubernetesServer server;

    @Test
    void aCreatedTaskRunsAsAJobAndCompletesWithIt() throws Exception {
        String dataset = given().multiPart("file", "d.jsonl", "{\"prompt\":\"p\",\"completion\":\"c\"}\n".getBytes())
                .post("/api/finetune/upload-dataset").then().statusCode(200).extract().path("dataset_id");
        String id = given().contentType(ContentType.JSON)
                .body(Map.of("model_name", "Qwen/Qwen2.5-0.5B-Instruct", "dataset_file", dataset))
                .post("/api/finetune/create").then().statusCode(201)
                .body("executor", equalTo("kubernetes")).extract().path("task_id");

        KubernetesClient client = server.getClient();
        await().atMost(Duration.ofSeconds(30)).until(() -> client.batch().v1().jobs().inNamespace("studio").withName(id).get() != null);
        Job job = client.batch().v1().jobs().inNamespace("studio").withName(id).get();
        assertThat(job.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                .isEqualTo("registry.example/sage-trainer:9.9.9");
        given().get("/api/finetune/tasks/" + id).then().body("status", equalTo("preparing"));

        Path dir = StudioTestResource.home().resolve("studio_finetune").resolve(id);
        Files.createDirectories(dir.resolve("lora")).resolve("adapter_config.json").toFile().createNewFile();
        Files.writeString(dir.resolve("progress.jsonl"), "{\"type\":\"phase\",\"phase\":\"done\"}\n");
        job.setStatus(new JobStatusBuilder().withSucceeded(1).withConditions(new JobConditionBuilder()
                .withType("Complete").withStatus("True").build()).build());
        client.batch().v1().jobs().inNamespace("studio").resource(job).updateStatus();
        await().atMost(Duration.ofSeconds(30)).until(() -> "completed".equals(
                given().get("/api/finetune/tasks/" + id).then().extract().path("status")));
        given().get("/api/finetune/models").then().body("find { it.task_id == '" + id + "' }.artifact", equalTo("lora"));
    }
}
