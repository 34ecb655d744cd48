package io.sage.studio.finetune;

import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.kafka.KafkaTestResource;

/** GPU telemetry as gpu-probe publishes it, for the tests that need GPUs in the service's inventory. */
public final class GpuFixtures {

    private GpuFixtures() {}

    /** One idle GPU's telemetry: {@code total} bytes of memory, {@code free} of them free, no processes. */
    public static GpuTelemetryEvent gpu(String node, int index, String name, long total, long free) {
        return new GpuTelemetryEvent(
                GpuTelemetryEvent.SCHEMA_VERSION,
                node,
                Instant.now(),
                1000,
                "550.54",
                "12.4",
                index,
                "GPU-" + node + "-" + index,
                name,
                total,
                free,
                total - free,
                0,
                0,
                40,
                30.0,
                List.of());
    }

    /** An NVIDIA L4 (24 GiB, 22 free) as GPU 0 of {@code gpu-node-1}: the one GPU the API tests' service sees. */
    public static GpuTelemetryEvent oneL4() {
        return gpu("gpu-node-1", 0, "NVIDIA L4", 24L << 30, 22L << 30);
    }

    /** Publishes {@code events} on the test broker (the service's telemetry consumer picks them up). */
    public static void publish(GpuTelemetryEvent... events) throws InterruptedException, ExecutionException {
        Properties props = new Properties();
        props.put(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                KafkaTestResource.broker().bootstrapServers());
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            for (GpuTelemetryEvent event : events) {
                producer.send(CloudEvents.record(event, CloudEvents.source("test")))
                        .get();
            }
        }
    }
}
