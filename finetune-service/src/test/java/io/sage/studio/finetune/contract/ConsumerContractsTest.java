package io.sage.studio.finetune.contract;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

import au.com.dius.pact.provider.junit5.HttpTestTarget;
import au.com.dius.pact.provider.junit5.PactVerificationContext;
import au.com.dius.pact.provider.junit5.PactVerificationInvocationContextProvider;
import au.com.dius.pact.provider.junitsupport.Provider;
import au.com.dius.pact.provider.junitsupport.State;
import au.com.dius.pact.provider.junitsupport.StateChangeAction;
import au.com.dius.pact.provider.junitsupport.loader.PactFolder;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sage.studio.finetune.StudioTestResource;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * The consumers' contracts with this service ({@code contracts/pacts/*-finetune-service.json}, written by the CLI's
 * and chat-switch's consumer tests), replayed against the real service: each interaction's request is sent and the
 * answer must hold every field the consumer reads, with its type. A renamed or dropped field fails here.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
@Provider("finetune-service")
@PactFolder("../contracts/pacts")
class ConsumerContractsTest {

    private static String completedTask;
    /** The slow tasks of the pause and resume interactions, removed after each. */
    private static final Queue<String> SLOW_TASKS = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void target(PactVerificationContext context) {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        context.setTarget(new HttpTestTarget("localhost", port));
    }

    @TestTemplate
    @ExtendWith(PactVerificationInvocationContextProvider.class)
    void honoursTheContract(PactVerificationContext context) {
        context.verifyInteraction();
    }

    @State("a stored dataset")
    Map<String, Object> storedDataset() {
        return Map.of("datasetPath", upload());
    }

    /** A task trained to the end by the stand-in trainer (once for all interactions). */
    @State("a completed task")
    synchronized Map<String, Object> completedTask() {
        if (completedTask == null) {
            String id = given().contentType(ContentType.JSON)
                    .body(Map.of("model_name", "Qwen/Qwen2.5-0.5B-Instruct", "dataset_file", upload(), "num_epochs", 1))
                    .when()
                    .post("/api/finetune/create")
                    .then()
                    .statusCode(201)
                    .extract()
                    .path("task_id");
            ServiceTasks.awaitCompleted(id);
            completedTask = id;
        }
        return Map.of("taskId", completedTask);
    }

    /**
     * The completed task with an evaluation asked for: the test service's serving layer is unreachable, so it fails,
     * but the task carries its summary at once (what chat-switch's evaluation gate reads).
     */
    @State("a completed task with an evaluation")
    synchronized Map<String, Object> evaluatedTask() {
        Map<String, Object> task = completedTask();
        String id = (String) task.get("taskId");
        given().contentType(ContentType.JSON)
                .body(Map.of("max_samples", 1))
                .when()
                .post("/api/finetune/tasks/" + id + "/evaluations")
                .then()
                .statusCode(202);
        return task;
    }

    /** A LoRA task trained with {@code merge: false} by the stand-in trainer: a new one for each interaction. */
    @State("a completed LoRA task without a merged model")
    Map<String, Object> unmergedTask() {
        String id = given().contentType(ContentType.JSON)
                .body(Map.of(
                        "model_name",
                        "Qwen/Qwen2.5-0.5B-Instruct",
                        "dataset_file",
                        upload(),
                        "num_epochs",
                        1,
                        "merge",
                        false))
                .when()
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .extract()
                .path("task_id");
        ServiceTasks.awaitCompleted(id);
        return Map.of("taskId", id);
    }

    /**
     * A task the stand-in trains slowly ("slow-me" in its model name: 0.4 s a step here), caught while it trains
     * (step ≥ 1); a new one for each interaction, removed after it so the list interaction never meets it.
     */
    @State("a task in training")
    Map<String, Object> trainingTask() {
        String id = given().contentType(ContentType.JSON)
                .body(Map.of("model_name", "Qwen/slow-me-0.5B", "dataset_file", upload(), "num_epochs", 10))
                .when()
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .extract()
                .path("task_id");
        SLOW_TASKS.add(id);
        await().atMost(Duration.ofSeconds(60))
                .until(() -> "training".equals(field(id, "status")) && ((Number) field(id, "step")).intValue() >= 1);
        return Map.of("taskId", id);
    }

    /** A task paused after it trained a few steps (with a checkpoint), for {@code sage finetune resume}. */
    @State("a paused task")
    Map<String, Object> pausedTask() {
        Map<String, Object> task = trainingTask();
        String id = (String) task.get("taskId");
        given().post("/api/finetune/tasks/" + id + "/pause").then().statusCode(200);
        await().atMost(Duration.ofSeconds(60)).until(() -> "paused".equals(field(id, "status")));
        return task;
    }

    @State(
            value = {"a task in training", "a paused task"},
            action = StateChangeAction.TEARDOWN)
    void removeSlowTasks() {
        for (String id = SLOW_TASKS.poll(); id != null; id = SLOW_TASKS.poll()) {
            String task = id;
            given().post("/api/finetune/tasks/" + task + "/cancel"); // 409 when it has ended already
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> List.of("cancelled", "completed", "failed").contains(field(task, "status")));
            given().delete("/api/finetune/tasks/" + task).then().statusCode(200);
        }
    }

    private static Object field(String id, String path) {
        return given().get("/api/finetune/tasks/" + id).then().extract().path(path);
    }

    private static String upload() {
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            jsonl.append("{\"prompt\":\"question ")
                    .append(i)
                    .append("\",\"completion\":\"answer ")
                    .append(i)
                    .append("\"}\n");
        }
        return given().multiPart("file", "qa.jsonl", jsonl.toString().getBytes(StandardCharsets.UTF_8))
                .when()
                .post("/api/finetune/upload-dataset")
                .then()
                .statusCode(200)
                .extract()
                .path("path");
    }
}
