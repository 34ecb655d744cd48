package io.sage.studio.finetune.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.TaskEvent;
import io.sage.studio.events.Topics;
import io.sage.studio.finetune.StudioTestResource;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * {@code POST /api/finetune/tasks/{id}/pause} and {@code …/resume} on the running service, with the stand-in trainer as
 * real processes and a real broker: a training task pauses with a checkpoint and resumes as attempt 2 from it; the
 * refusals; the task events on {@code studio.finetune.tasks} carry {@code attempt} and {@code cloned_from}.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
class PauseResumeApiTest {

    private static final Duration LONG = Duration.ofSeconds(60);
    /** The stand-in runs a task whose model name holds "slow-me" slowly (0.4 s a step here), so it can be paused. */
    private static final String SLOW_MODEL = "Qwen/slow-me-0.5B";

    private static String create(String model) {
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            jsonl.append("{\"prompt\":\"q")
                    .append(i)
                    .append("\",\"completion\":\"a")
                    .append(i)
                    .append("\"}\n");
        }
        String dataset = given().multiPart(
                        "file", "pause.jsonl", jsonl.toString().getBytes(StandardCharsets.UTF_8))
                .post("/api/finetune/upload-dataset")
                .then()
                .statusCode(200)
                .extract()
                .path("dataset_id");
        Map<String, Object> body = new HashMap<>();
        body.put("model_name", model);
        body.put("dataset_file", dataset);
        body.put("num_epochs", 1);
        return given().contentType(ContentType.JSON)
                .body(body)
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .extract()
                .path("task_id");
    }

    private static Object field(String id, String path) {
        return given().get("/api/finetune/tasks/" + id)
                .then()
                .statusCode(200)
                .extract()
                .path(path);
    }

    private static void status(String id, String status) {
        await().atMost(LONG).until(() -> status.equals(field(id, "status")));
    }

    @Test
    void aTrainingTaskPausesWithACheckpointAndResumesAsAttempt2AtTheNextStep() {
        String id = create(SLOW_MODEL);
        await().atMost(LONG).until(() -> ((Number) field(id, "step")).intValue() >= 3);
        given().post("/api/finetune/tasks/" + id + "/pause")
                .then()
                .statusCode(200)
                .body("pause_requested", equalTo(true));
        status(id, "paused");
        int pausedAt = ((Number) field(id, "step")).intValue();
        assertThat(pausedAt).isGreaterThanOrEqualTo(3);
        assertThat(field(id, "attempts[0].outcome")).isEqualTo("paused");

        given().post("/api/finetune/tasks/" + id + "/resume")
                .then()
                .statusCode(200)
                .body("status", equalTo("queued"))
                .body("attempt", equalTo(2))
                .body("step", equalTo(pausedAt)) // the checkpoint's step: never back
                .body("attempts[0].outcome", equalTo("paused"));
        status(id, "completed");
        assertThat(field(id, "attempt")).isEqualTo(2);

        // the events of the task on Kafka carry its attempt; a clone's carry cloned_from
        String clone = given().contentType(ContentType.JSON)
                .body(Map.of("num_epochs", 1))
                .post("/api/finetune/tasks/" + id + "/clone")
                .then()
                .statusCode(201)
                .extract()
                .path("task_id");
        List<TaskEvent> events = events(List.of(id, clone));
        assertThat(events)
                .filteredOn(
                        e -> e.task().taskId().equals(id) && e.task().status().equals("completed"))
                .allSatisfy(e -> assertThat(e.task().attempt()).isEqualTo(2))
                .isNotEmpty();
        assertThat(events)
                .filteredOn(
                        e -> e.task().taskId().equals(id) && e.task().status().equals("paused"))
                .allSatisfy(e -> assertThat(e.task().attempt()).isEqualTo(1))
                .isNotEmpty();
        assertThat(events)
                .filteredOn(e -> e.task().taskId().equals(clone))
                .allSatisfy(e -> {
                    assertThat(e.task().clonedFrom()).isEqualTo(id);
                    assertThat(e.task().attempt()).isEqualTo(1);
                })
                .isNotEmpty();
    }

    @Test
    void pauseOfAnEndedTaskAndResumeOfOneNotPausedAre409() {
        String id = create("Qwen/Qwen2.5-0.5B-Instruct");
        status(id, "completed");
        given().post("/api/finetune/tasks/" + id + "/pause")
                .then()
                .statusCode(409)
                .body("error.code", equalTo("task_not_pausable"));
        given().post("/api/finetune/tasks/" + id + "/resume")
                .then()
                .statusCode(409)
                .body("error.code", equalTo("task_not_paused"));
        given().post("/api/finetune/tasks/nope/pause").then().statusCode(404);
    }

    /** The task events of {@code ids} on {@code studio.finetune.tasks}, once each has one. */
    private static List<TaskEvent> events(List<String> ids) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                KafkaTestResource.broker().bootstrapServers());
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.FINETUNE_TASKS).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<TaskEvent> mine = new ArrayList<>();
            await().atMost(LONG).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (ids.contains(r.key())) {
                        mine.add(CloudEvents.decode(r.value(), TaskEvent.class));
                    }
                });
                return ids.stream()
                        .allMatch(id -> mine.stream()
                                .anyMatch(e -> e.task().taskId().equals(id)
                                        && (!id.equals(ids.get(0))
                                                || e.task().status().equals("completed"))));
            });
            return mine;
        }
    }
}
