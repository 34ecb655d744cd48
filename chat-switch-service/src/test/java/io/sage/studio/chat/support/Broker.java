package io.sage.studio.chat.support;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Properties;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.events.Topics;
import io.sage.studio.kafka.KafkaTestResource;

/** What other services put on the test broker, sent directly: any record, and a GPU probe's telemetry. */
public final class Broker {

    private Broker() {}

    /** One record ({@code value} null: a tombstone), with its CloudEvents type when given; waits for the ack. */
    public static void produce(String topic, String key, byte[] value, String type) {
        Properties p = new Properties();
        p.put(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                KafkaTestResource.broker().bootstrapServers());
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, key, value);
            if (type != null) {
                record.headers().add(CloudEvents.H_TYPE, type.getBytes(StandardCharsets.UTF_8));
            }
            producer.send(record).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The gpu-probe's reading of GPU {@code uuid} on this test's node: {@code total} bytes, {@code free} of them free. */
    public static void gpu(String uuid, long total, long free) {
        GpuTelemetryEvent event = new GpuTelemetryEvent(
                GpuTelemetryEvent.SCHEMA_VERSION,
                LocalEnvironment.node(),
                Instant.now(),
                1000,
                "550.0",
                "12.4",
                0,
                uuid,
                "NVIDIA Test GPU",
                total,
                free,
                total - free,
                0,
                0,
                40,
                60.0,
                List.of());
        produce(Topics.GPU_TELEMETRY, event.key(), CloudEvents.encode(event), event.cloudEventType());
    }
}
