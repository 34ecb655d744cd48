package io.sage.studio.gpu;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

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
import org.eclipse.microprofile.config.ConfigProvider;

import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.events.Topics;

/** Plain Kafka clients on {@code studio.gpu.telemetry} of the service's broker: what other nodes would do. */
public final class TelemetryTopic implements AutoCloseable {

    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, byte[]> producer;
    private final List<ConsumerRecord<String, byte[]>> seen = new ArrayList<>();

    public TelemetryTopic() {
        String servers = ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.GPU_TELEMETRY, Duration.ofSeconds(10)).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    /** Everything read so far, after polling once more. */
    public List<ConsumerRecord<String, byte[]>> records() {
        consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
        return List.copyOf(seen);
    }

    /** Publishes a reading as another node's gpu-probe would (CloudEvents binary mode), and waits for the ack. */
    public void publish(GpuTelemetryEvent event) throws Exception {
        producer.send(CloudEvents.record(event, CloudEvents.source("gpu-probe-service")))
                .get();
    }

    /** Removes a GPU from the compacted topic, as its node does when the GPU is gone. */
    public void tombstone(String key) throws Exception {
        producer.send(new ProducerRecord<>(Topics.GPU_TELEMETRY, key, null)).get();
    }

    public static GpuTelemetryEvent reading(String node, String uuid, int index, long freeBytes, Instant at) {
        return new GpuTelemetryEvent(
                GpuTelemetryEvent.SCHEMA_VERSION,
                node,
                at,
                1000,
                "550.54.15",
                "12.4",
                index,
                uuid,
                "NVIDIA H100 80GB HBM3",
                80L << 30,
                freeBytes,
                (80L << 30) - freeBytes,
                90,
                40,
                61,
                350.5,
                List.of(new GpuTelemetryEvent.GpuProcess(777, 5L << 30)));
    }

    public static Map<String, String> headers(ConsumerRecord<String, byte[]> record) {
        Map<String, String> out = new HashMap<>();
        record.headers()
                .forEach(h ->
                        out.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8)));
        return out;
    }

    @Override
    public void close() {
        consumer.close();
        producer.close();
    }
}
