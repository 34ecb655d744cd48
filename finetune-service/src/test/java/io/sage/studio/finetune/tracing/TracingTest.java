package io.sage.studio.finetune.tracing;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sage.studio.common.tracing.Tracing;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.TaskEvent;
import io.sage.studio.events.Topics;
import io.sage.studio.finetune.StudioTestResource;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * Tracing on (an OTLP endpoint set, {@link TracingTestResource}'s local receiver): one trace from the create call
 * through its Kafka task event ({@code ce_traceparent}) to the trainer's environment ({@code TRACEPARENT}), and the
 * create call's span reaches the receiver.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = TracingTestResource.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
class TracingTest {

    private static final Duration LONG = Duration.ofSeconds(60);

    @Test
    void aCreateCallItsTaskEventAndItsTrainerShareOneTrace() throws IOException {
        String dataset = TraceTasks.upload();
        Map<String, Object> created = given().contentType(ContentType.JSON)
                .body(Map.of("model_name", "Qwen/Qwen2.5-0.5B-Instruct", "dataset_file", dataset, "num_epochs", 1))
                .when()
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .extract()
                .jsonPath()
                .getMap("");
        String id = (String) created.get("task_id");
        String traceId = (String) created.get("trace_id");
        assertThat(traceId).matches("[0-9a-f]{32}").isNotEqualTo("0".repeat(32));
        assertThat(created).doesNotContainKeys("traceparent", "tracestate");

        ConsumerRecord<String, byte[]> createdEvent = TraceTasks.firstEvent(id);
        String traceparent = CloudEvents.traceparentOf(createdEvent);
        assertThat(Tracing.traceIdOf(traceparent)).isEqualTo(traceId);

        TraceTasks.awaitCompleted(id);
        List<String> logs = Files.readAllLines(
                StudioTestResource.home().resolve("studio_finetune").resolve(id).resolve("logs.txt"));
        assertThat(logs)
                .anySatisfy(line -> assertThat(line)
                        .startsWith("trace env: TRACEPARENT=00-" + traceId + "-")
                        .endsWith(" OTEL_EXPORTER_OTLP_ENDPOINT=" + TracingTestResource.endpoint));
        assertThat((String) given().get("/api/finetune/tasks/" + id)
                        .then()
                        .extract()
                        .path("trace_id"))
                .isEqualTo(traceId);

        byte[] rawTraceId = HexFormat.of().parseHex(traceId);
        await().atMost(LONG)
                .until(() -> TracingTestResource.EXPORTS.stream().anyMatch(body -> contains(body, rawTraceId)));
    }

    private static boolean contains(byte[] body, byte[] part) {
        outer:
        for (int i = 0; i + part.length <= body.length; i++) {
            for (int j = 0; j < part.length; j++) {
                if (body[i + j] != part[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** The REST and Kafka steps both tracing tests take. */
    static final class TraceTasks {

        private TraceTasks() {}

        static String upload() {
            byte[] jsonl = "{\"prompt\":\"q\",\"completion\":\"a\"}\n{\"prompt\":\"q2\",\"completion\":\"a2\"}\n"
                    .getBytes(StandardCharsets.UTF_8);
            return given().multiPart("file", "qa.jsonl", jsonl)
                    .when()
                    .post("/api/finetune/upload-dataset")
                    .then()
                    .statusCode(200)
                    .extract()
                    .path("dataset_id");
        }

        static void awaitCompleted(String id) {
            await().atMost(LONG)
                    .until(() -> "completed"
                            .equals(given().get("/api/finetune/tasks/" + id)
                                    .then()
                                    .extract()
                                    .path("status")));
        }

        /** The task's {@code created} event on {@code studio.finetune.tasks}. */
        static ConsumerRecord<String, byte[]> firstEvent(String id) {
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
                ConsumerRecord<String, byte[]>[] found = new ConsumerRecord[1];
                await().atMost(LONG).until(() -> {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        if (id.equals(r.key())
                                && CloudEvents.decode(r.value(), TaskEvent.class)
                                                .kind()
                                        == TaskEvent.Kind.CREATED) {
                            found[0] = r;
                        }
                    }
                    return found[0] != null;
                });
                return found[0];
            }
        }
    }
}
