package io.sage.studio.chat.audit;

import static io.restassured.RestAssured.given;
import static io.sage.studio.chat.support.Engines.BASE_A;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

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
import io.restassured.path.json.JsonPath;
import io.sage.studio.chat.support.LocalEnvironment;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.events.AuditEvent;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.Topics;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * A switch and a stop on the running chat-switch-service (mode {@code none}, a stand-in engine) each leave one entry
 * on {@code studio.audit}, read back from the test broker: who ({@code local}, admin), {@code chat.switch} with the
 * model it asked for as target and the 202 it got, then {@code chat.stop}; the switch's status reads are not audited.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(LocalEnvironment.class)
class AuditedSwitchTest {

    @Test
    void aSwitchAndAStopAreAudited() {
        Switches.awaitServiceReady();
        Switches.awaitIdle();
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            TopicPartition partition = new TopicPartition(Topics.AUDIT, 0);
            consumer.assign(List.of(partition));
            consumer.seekToEnd(List.of(partition));
            consumer.position(partition);

            JsonPath accepted = given().contentType(ContentType.JSON)
                    .body(Map.of("model", BASE_A))
                    .post("/api/chat/switch")
                    .then()
                    .statusCode(202)
                    .extract()
                    .jsonPath();
            assertThat(Switches.awaitEnd(accepted.getString("id")).getString("state"))
                    .isEqualTo("completed");
            given().post("/api/chat/stop").then().statusCode(200);

            List<AuditEvent> entries = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (entries.stream().noneMatch(e -> e.action().equals("chat.stop")) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200))
                        .forEach(r -> entries.add(CloudEvents.decode(r.value(), AuditEvent.class)));
            }
            List<AuditEvent> ours = entries.stream()
                    .filter(e -> e.service().equals("chat-switch-service"))
                    .toList();
            assertThat(ours).extracting(AuditEvent::action).containsExactly("chat.switch", "chat.stop");
            AuditEvent entry = ours.get(0);
            assertThat(entry.actor()).isEqualTo("local");
            assertThat(entry.role()).isEqualTo("admin");
            assertThat(entry.method()).isEqualTo("POST");
            assertThat(entry.path()).isEqualTo("/api/chat/switch");
            assertThat(entry.target()).isEqualTo(accepted.getString("model"));
            assertThat(entry.status()).isEqualTo(202);
            assertThat(entry.outcome()).isEqualTo("ok");
            assertThat(ours.get(1).outcome()).isEqualTo("ok");
        }
    }

    private static KafkaConsumer<String, byte[]> consumer() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestResource.bootstrapServers());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(props);
    }
}
