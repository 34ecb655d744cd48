package io.sage.studio.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.StudioTopics;
import io.sage.studio.events.Topics;

class KafkaBrokerTest {

    @Test
    void createsCompactedTopicsAndCarriesCloudEventsThatSurviveARestart() throws Exception {
        KafkaBroker broker = KafkaBroker.ephemeral().start();
        StudioTopics.ensure(broker.bootstrapServers());
        StudioTopics.ensure(broker.bootstrapServers()); // idempotent

        try (Admin admin =
                Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            assertThat(admin.listTopics().names().get())
                    .containsAll(Topics.ALL.stream().map(Topics.TopicSpec::name).toList());
            ConfigResource backend = new ConfigResource(ConfigResource.Type.TOPIC, Topics.CHAT_BACKEND);
            Config config = admin.describeConfigs(List.of(backend)).all().get().get(backend);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
        }

        ChatBackendEvent event = new ChatBackendEvent(
                ChatBackendEvent.SCHEMA_VERSION,
                7,
                ChatBackendEvent.State.ACTIVE,
                new ChatBackendEvent.Backend("b1", "http://127.0.0.1:8001", "m", "m", "m", "m", "base", "local"),
                java.time.Instant.now(),
                "op1",
                null);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(CloudEvents.record(event, CloudEvents.source("test"))).get();
        }

        // Same data directory, same ports: a restarted broker keeps the record.
        broker.close();
        KafkaBroker again = new KafkaBroker(broker.dataDir(), broker.port(), KafkaBroker.freePort());
        again.start();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, again.bootstrapServers()),
                new StringDeserializer(),
                new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(Topics.CHAT_BACKEND, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            ConsumerRecord<String, byte[]> got = null;
            long deadline = System.currentTimeMillis() + 20_000;
            while (got == null && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    got = r;
                }
            }
            assertThat(got).isNotNull();
            assertThat(got.key()).isEqualTo(ChatBackendEvent.KEY);
            assertThat(CloudEvents.typeOf(got)).isEqualTo(ChatBackendEvent.TYPE);
            assertThat(CloudEvents.header(got.headers(), CloudEvents.H_SPEC_VERSION))
                    .isEqualTo("1.0");
            ChatBackendEvent decoded = CloudEvents.decode(got.value(), ChatBackendEvent.class);
            assertThat(decoded).isEqualTo(event);
        } finally {
            again.close();
        }
    }
}
