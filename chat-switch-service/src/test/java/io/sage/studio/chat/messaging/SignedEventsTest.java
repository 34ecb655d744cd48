package io.sage.studio.chat.messaging;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.sage.studio.chat.support.CloudEnvironment;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.events.ChatSwitchCommandEvent;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.EventSignature;
import io.sage.studio.events.Topics;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * With a signing key, the routes this service publishes are signed, its own REST switches (which go through the
 * command topic) still work, and commands from a producer without the key are dropped and counted.
 */
@QuarkusTest
@TestProfile(SignedEventsTest.Signed.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(CloudEnvironment.class)
class SignedEventsTest {

    static final String KEY = "chat-test-signing-key-9a8b7c6d5e4f";

    public static class Signed implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("studio.events.signing-key", KEY);
        }
    }

    @BeforeEach
    void ready() {
        Switches.awaitServiceReady();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> "active".equals(Switches.current().getString("state")));
        Switches.awaitIdle();
    }

    @Test
    void publishedRoutesCarryAValidSignature() {
        ConsumerRecord<String, byte[]> last = lastRouteRecord();
        assertThat(EventSignature.withKey(KEY).verify(last.headers(), last.value()))
                .isEqualTo(EventSignature.Verdict.VALID);
    }

    @Test
    void theServicesOwnSwitchesStillWork() {
        given().queryParam("model_path", CloudEnvironment.MODEL)
                .post("/api/finetune/switch-model")
                .then()
                .statusCode(200);
    }

    @Test
    void aCommandWithoutTheKeyIsDroppedAndCounted() {
        String forged = "forged-" + UUID.randomUUID();
        ChatSwitchCommandEvent command = new ChatSwitchCommandEvent(
                ChatSwitchCommandEvent.SCHEMA_VERSION,
                forged,
                CloudEnvironment.MODEL,
                null,
                "auto",
                "attacker",
                Instant.now());
        ProducerRecord<String, byte[]> record = CloudEvents.record(command, CloudEvents.source("attacker"));
        ProducerRecord<String, byte[]> wrongKey = CloudEvents.record(
                new ChatSwitchCommandEvent(
                        ChatSwitchCommandEvent.SCHEMA_VERSION,
                        forged + "-2",
                        CloudEnvironment.MODEL,
                        null,
                        "auto",
                        "attacker",
                        Instant.now()),
                CloudEvents.source("attacker"));
        EventSignature.withKey("not-the-studio-key-000000000000").sign(wrongKey.headers(), wrongKey.value());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        KafkaTestResource.broker().bootstrapServers()),
                new StringSerializer(),
                new ByteArraySerializer())) {
            producer.send(record);
            producer.send(wrongKey);
            producer.flush();
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> rejected("unsigned") >= 1 && rejected("forged") >= 1);
        given().get("/api/chat/switch/" + forged).then().statusCode(404);
        given().get("/api/chat/switch/" + forged + "-2").then().statusCode(404);
    }

    private static double rejected(String reason) {
        String metrics =
                given().get("/q/metrics").then().statusCode(200).extract().asString();
        for (String line : metrics.split("\n")) {
            if (line.startsWith("studio_events_rejected_total{")
                    && line.contains("topic=\"" + Topics.CHAT_COMMANDS + "\"")
                    && line.contains("reason=\"" + reason + "\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    private static ConsumerRecord<String, byte[]> lastRouteRecord() {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        KafkaTestResource.broker().bootstrapServers()),
                new StringDeserializer(),
                new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(Topics.CHAT_BACKEND, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
            while (consumer.position(partition) < end) {
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
            return records.get(records.size() - 1);
        }
    }
}
