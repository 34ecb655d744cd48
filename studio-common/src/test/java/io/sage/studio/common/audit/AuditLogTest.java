package io.sage.studio.common.audit;

import static io.restassured.RestAssured.given;
import static io.sage.studio.common.auth.TokenModeProfile.ADMIN;
import static io.sage.studio.common.auth.TokenModeProfile.ALICE;
import static io.sage.studio.common.auth.TokenModeProfile.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.sage.studio.events.AuditEvent;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.EventSignature;
import io.sage.studio.events.Topics;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * The audit filter on a running service in mode {@code token}, read back from {@code studio.audit} on the test
 * broker: a create (its target from the answer, the trace id from {@code traceparent}, no query string), a call
 * refused for its role (403, the caller named), one without a token (401, anonymous), a cross-site one refused by the
 * {@code Origin} check; reads, {@code /v1} and the memory estimate leave no entry.
 */
@QuarkusTest
@TestProfile(AuditProfile.class)
class AuditLogTest {

    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

    @Test
    void everyStateChangingCallIsRecordedOnceAnsweredAndNothingElse() {
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            TopicPartition partition = new TopicPartition(Topics.AUDIT, 0);
            consumer.assign(List.of(partition));
            consumer.seekToEnd(List.of(partition));
            consumer.position(partition);

            String taskId = given().auth()
                    .oauth2(ALICE)
                    .header("traceparent", "00-" + TRACE_ID + "-00f067aa0ba902b7-01")
                    .post("/api/finetune/create?secret=do-not-log")
                    .then()
                    .statusCode(201)
                    .extract()
                    .path("task_id");
            given().auth().oauth2(VIEWER).post("/api/finetune/create").then().statusCode(403);
            String unknown = "t-" + UUID.randomUUID();
            given().post("/api/finetune/tasks/" + unknown + "/cancel").then().statusCode(401);
            given().auth()
                    .oauth2(ADMIN)
                    .header("Origin", "https://elsewhere.example")
                    .post("/api/finetune/create")
                    .then()
                    .statusCode(403);
            // Not audited: a read, the OpenAI-compatible API, a calculation.
            given().auth().oauth2(ALICE).get("/api/finetune/tasks").then().statusCode(200);
            given().auth().oauth2(ALICE).post("/v1/chat/completions").then().statusCode(200);
            given().auth()
                    .oauth2(ALICE)
                    .post("/api/system/memory-estimate")
                    .then()
                    .statusCode(200);
            // The last one: once its entry is there, every entry before it is too (one partition, one sender).
            String last = taskId;
            given().auth()
                    .oauth2(ADMIN)
                    .delete("/api/finetune/tasks/" + last)
                    .then()
                    .statusCode(204);

            List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (records.stream().noneMatch(r -> decode(r).path().equals("/api/finetune/tasks/" + last))
                    && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            List<AuditEvent> entries = records.stream()
                    .map(AuditLogTest::decode)
                    .filter(e -> e.service().equals("audit-test-service"))
                    .toList();

            assertThat(entries)
                    .extracting(
                            AuditEvent::action,
                            AuditEvent::actor,
                            AuditEvent::role,
                            AuditEvent::status,
                            AuditEvent::outcome,
                            AuditEvent::target)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple(
                                    "finetune.task.create", "alice", "trainer", 201, "ok", taskId),
                            org.assertj.core.groups.Tuple.tuple(
                                    "finetune.task.create", "vera", "viewer", 403, "refused", null),
                            org.assertj.core.groups.Tuple.tuple(
                                    "finetune.task.cancel", "anonymous", null, 401, "refused", unknown),
                            org.assertj.core.groups.Tuple.tuple(
                                    "finetune.task.create", "anonymous", null, 403, "refused", null),
                            org.assertj.core.groups.Tuple.tuple(
                                    "finetune.task.delete", "root", "admin", 204, "ok", last));
            AuditEvent create = entries.get(0);
            assertThat(create.path()).isEqualTo("/api/finetune/create");
            assertThat(create.method()).isEqualTo("POST");
            assertThat(create.traceId()).isEqualTo(TRACE_ID);
            assertThat(entries.get(1).traceId()).isNull();
            assertThat(entries).allSatisfy(e -> assertThat(e.id()).isNotBlank());
            // Signed with the studio's key, so the reader can tell the services' entries from anyone's.
            EventSignature key = EventSignature.withKey("test-signing-key-0123456789abcdef");
            assertThat(records)
                    .allSatisfy(r ->
                            assertThat(key.verify(r.headers(), r.value())).isEqualTo(EventSignature.Verdict.VALID));
        }
    }

    @Test
    void traceIdsComeFromWellFormedTraceparentsOnly() {
        assertThat(AuditFilter.traceIdOf("00-" + TRACE_ID + "-00f067aa0ba902b7-01"))
                .isEqualTo(TRACE_ID);
        assertThat(AuditFilter.traceIdOf("00-" + "0".repeat(32) + "-00f067aa0ba902b7-01"))
                .isNull();
        assertThat(AuditFilter.traceIdOf("ff-" + TRACE_ID + "-00f067aa0ba902b7-01"))
                .isNull();
        assertThat(AuditFilter.traceIdOf("00-" + TRACE_ID.toUpperCase() + "-00f067aa0ba902b7-01"))
                .isNull();
        assertThat(AuditFilter.traceIdOf("garbage")).isNull();
        assertThat(AuditFilter.traceIdOf(null)).isNull();
    }

    @Test
    void actionsAreStableNamesWithTheirTargets() {
        assertThat(AuditActions.of("POST", "/api/finetune/tasks/t-1/cancel"))
                .get()
                .satisfies(a -> {
                    assertThat(a.name()).isEqualTo("finetune.task.cancel");
                    assertThat(a.targetOf("/api/finetune/tasks/t-1/cancel")).isEqualTo("t-1");
                });
        assertThat(AuditActions.of("POST", "/api/chat/switch").get().targetFields())
                .containsExactly("model");
        assertThat(AuditActions.of("DELETE", "/api/webhooks/wh-9").get().targetOf("/api/webhooks/wh-9"))
                .isEqualTo("wh-9");
        assertThat(AuditActions.of("PUT", "/api/settings").get().name()).isEqualTo("settings.put");
        assertThat(AuditActions.of("POST", "/api/Ünïcode%2F..").get().name()).isEqualTo("api.post");
        assertThat(AuditActions.of("POST", "/api/system/memory-estimate")).isEmpty();
    }

    private static AuditEvent decode(ConsumerRecord<String, byte[]> record) {
        return CloudEvents.decode(record.value(), AuditEvent.class);
    }

    private static KafkaConsumer<String, byte[]> consumer() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestResource.bootstrapServers());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.putAll(Map.of(
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName()));
        return new KafkaConsumer<>(props);
    }
}
