package io.sage.studio.gateway.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

import jakarta.inject.Inject;

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
import io.sage.studio.common.kafka.KafkaClientConfig;
import io.sage.studio.events.ChatTrafficEvent;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.EventSignature;
import io.sage.studio.events.Topics;
import io.sage.studio.gateway.config.GatewayConfig;
import io.sage.studio.gateway.support.StandInServices;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * A gateway process that shuts down cleanly leaves no key on the compacted {@code studio.chat.traffic}: its last
 * totals, then a signed tombstone on the same key (a second publisher on the running app's broker, started and stopped
 * like the app does).
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StandInServices.class, scope = TestResourceScope.GLOBAL)
class TrafficTombstoneTest {

    private static final String KEY = "tombstone-test-signing-key-0123456789";

    @Inject
    KafkaClientConfig kafka;

    @Inject
    GatewayMetrics metrics;

    @Inject
    GatewayConfig config;

    @Test
    void aCleanShutdownPublishesTheLastTotalsThenASignedTombstone() {
        TrafficPublisher publisher = new TrafficPublisher(kafka, metrics, config, Optional.of(KEY));
        publisher.start(null);
        publisher.stop(null);

        List<ConsumerRecord<String, byte[]>> records = records(publisher.gatewayId());
        assertThat(records).hasSizeGreaterThanOrEqualTo(2);
        ConsumerRecord<String, byte[]> totals = records.get(records.size() - 2);
        ConsumerRecord<String, byte[]> tombstone = records.get(records.size() - 1);
        assertThat(CloudEvents.decode(totals.value(), ChatTrafficEvent.class).gatewayId())
                .isEqualTo(publisher.gatewayId());
        assertThat(tombstone.value()).isNull();
        assertThat(CloudEvents.typeOf(tombstone)).isEqualTo(ChatTrafficEvent.TYPE);
        assertThat(EventSignature.withKey(KEY).verify(tombstone.headers(), null))
                .isEqualTo(EventSignature.Verdict.VALID);
        assertThat(EventSignature.withKey(KEY + "-other").verify(tombstone.headers(), null))
                .isEqualTo(EventSignature.Verdict.FORGED);
    }

    /** The records of {@code gatewayId} on the traffic topic, in order, once its tombstone arrived. */
    private static List<ConsumerRecord<String, byte[]>> records(String gatewayId) {
        Properties props = new Properties();
        props.put(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                KafkaTestResource.broker().bootstrapServers());
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(Topics.CHAT_TRAFFIC, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            List<ConsumerRecord<String, byte[]>> found = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (gatewayId.equals(record.key())) {
                        found.add(record);
                    }
                }
                return !found.isEmpty() && found.get(found.size() - 1).value() == null;
            });
            return found;
        }
    }
}
