package io.sage.studio.kafka;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.sage.studio.events.StudioTopics;

/**
 * A real KRaft broker for {@code @QuarkusTest}s: one per test JVM, started on first use, topics created.
 * Use with {@code @WithTestResource(KafkaTestResource.class)} (or {@code @QuarkusTestResource}).
 */
public class KafkaTestResource implements QuarkusTestResourceLifecycleManager {

    private static KafkaBroker broker;

    /** The broker of this JVM, started on first call. */
    public static synchronized KafkaBroker broker() {
        if (broker == null) {
            broker = KafkaBroker.ephemeral().start();
            StudioTopics.ensure(broker.bootstrapServers());
            Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "test-broker-shutdown"));
        }
        return broker;
    }

    @Override
    public Map<String, String> start() {
        return Map.of("kafka.bootstrap.servers", broker().bootstrapServers());
    }

    @Override
    public void stop() {
        // The broker lives as long as the JVM so that several test classes share it.
    }
}
