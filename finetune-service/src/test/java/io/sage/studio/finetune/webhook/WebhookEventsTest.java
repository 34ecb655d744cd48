package io.sage.studio.finetune.webhook;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sage.studio.events.ChatOperationEvent;
import io.sage.studio.finetune.StudioTestResource;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * The {@code evaluation.*} and {@code rollout.*} families end to end, with a real broker and a loopback receiver: a
 * real evaluation of a completed task (the service's own run, its models served by the {@link ServingStub}) reaches
 * a webhook subscribed to {@code evaluation.*} as {@code evaluation.queued}, {@code .started} and {@code .completed},
 * signed, with the task and the evaluation's id, verdict and baseline; a rollout's {@link ChatOperationEvent} on
 * {@code studio.chat.operations} (as chat-switch publishes it) reaches a {@code rollout.*} webhook; a webhook
 * subscribed to {@code task.*} only gets neither, and neither family leaks into the other.
 */
@QuarkusTest
@TestProfile(WebhookApiTest.Quick.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
class WebhookEventsTest {

    private static final Duration LONG = Duration.ofSeconds(60);
    private static Receiver receiver;

    @BeforeAll
    static void startReceiver() {
        receiver = Receiver.start();
    }

    @AfterAll
    static void stopReceiver() {
        receiver.close();
    }

    private static String secret(Map<String, Object> webhook) {
        return (String) webhook.get("secret");
    }

    private static List<String> types(String path) {
        return receiver.all(path).stream()
                .map(r -> JsonPath.from(r.body()).getString("type"))
                .toList();
    }

    @Test
    void evaluationAndRolloutEventsReachTheirSubscribersOnly() throws Exception {
        Map<String, Object> evaluations = WebhookApiTest.register(receiver, "/evaluations", List.of("evaluation.*"));
        Map<String, Object> rollouts = WebhookApiTest.register(receiver, "/rollouts", List.of("rollout.*"));
        Map<String, Object> tasks = WebhookApiTest.register(receiver, "/tasks", List.of("task.*"));

        String task = WebhookApiTest.runTask();
        String evalSet = WebhookApiTest.upload(
                "eval.jsonl",
                "{\"prompt\":\"one\",\"completion\":\"you said: one\"}\n{\"prompt\":\"two\",\"completion\":\"x\"}\n");
        String evaluation = given().contentType(ContentType.JSON)
                .body(Map.of("eval_file", evalSet, "max_samples", 2, "baseline", "base"))
                .post("/api/finetune/tasks/" + task + "/evaluations")
                .then()
                .statusCode(202)
                .body("state", equalTo("queued"))
                .extract()
                .path("evaluation_id");
        await().atMost(LONG)
                .untilAsserted(() -> given().get("/api/finetune/tasks/" + task + "/evaluations/" + evaluation)
                        .then()
                        .body("state", equalTo("completed")));

        Receiver.Received completed = receiver.awaitSigned(
                "/evaluations", secret(evaluations), Receiver.eventType("evaluation.completed"), evaluation);
        JsonPath payload = JsonPath.from(completed.body());
        assertThat(payload.getString("data.task_id")).isEqualTo(task);
        assertThat(payload.getString("data.model_name")).isEqualTo("Qwen/Qwen2.5-0.5B-Instruct");
        assertThat(payload.getString("data.evaluation.evaluation_id")).isEqualTo(evaluation);
        assertThat(payload.getString("data.evaluation.state")).isEqualTo("completed");
        assertThat(payload.getString("data.evaluation.verdict")).isIn("better", "worse", "inconclusive");
        assertThat(payload.getString("data.evaluation.baseline")).isEqualTo("base");
        receiver.awaitSigned("/evaluations", secret(evaluations), Receiver.eventType("evaluation.queued"), evaluation);
        receiver.awaitSigned("/evaluations", secret(evaluations), Receiver.eventType("evaluation.started"), evaluation);

        ChatOperationEvent promoted = new ChatOperationEvent(
                ChatOperationEvent.SCHEMA_VERSION,
                ChatOperationEvent.KIND_ROLLOUT,
                "ro-hooks-1",
                "promoted",
                "rollout.promoted",
                task,
                "Qwen/Qwen2.5-0.5B-Instruct",
                null,
                "promoted after 3 steps",
                null,
                null,
                Instant.now());
        WebhookApiTest.publish(promoted);
        Receiver.Received rollout = receiver.awaitSigned(
                "/rollouts", secret(rollouts), Receiver.eventType("rollout.promoted"), "ro-hooks-1");
        JsonPath data = JsonPath.from(rollout.body()).setRootPath("data");
        assertThat(data.getString("kind")).isEqualTo("rollout");
        assertThat(data.getString("id")).isEqualTo("ro-hooks-1");
        assertThat(data.getString("state")).isEqualTo("promoted");
        assertThat(data.getString("model")).isEqualTo(task);
        assertThat(data.getString("previous_model")).isEqualTo("Qwen/Qwen2.5-0.5B-Instruct");
        assertThat(data.getString("message")).isEqualTo("promoted after 3 steps");

        // The outbox queues a record's deliveries for every webhook at once: by now the task.* webhook would hold
        // any evaluation or rollout delivery it wanted.
        receiver.awaitSigned("/tasks", secret(tasks), Receiver.eventType("task.completed"), task);
        List<String> taskOnly = given().get("/api/webhooks/" + tasks.get("id") + "/deliveries?limit=1000")
                .then()
                .statusCode(200)
                .extract()
                .path("deliveries.event");
        assertThat(taskOnly).contains("task.completed").allMatch(e -> e.startsWith("task."));
        assertThat(types("/tasks")).allMatch(t -> t.startsWith("task."));
        assertThat(types("/evaluations")).isNotEmpty().allMatch(t -> t.startsWith("evaluation."));
        assertThat(types("/rollouts")).containsOnly("rollout.promoted");

        for (Map<String, Object> hook : List.of(evaluations, rollouts, tasks)) {
            given().delete("/api/webhooks/" + hook.get("id")).then().statusCode(204);
        }
    }
}
