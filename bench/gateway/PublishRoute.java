import java.time.Instant;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.events.CloudEvents;

/**
 * Publishes the active chat route the way the chat-switch-service does, for the benchmark:
 * {@code java -cp <kafka-kit classpath> PublishRoute.java <bootstrap> <revision> <backend-id> <base-url> <served-model>}.
 */
public class PublishRoute {

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: PublishRoute <bootstrap> <revision> <backend-id> <base-url> <served-model>");
            System.exit(64);
        }
        ChatBackendEvent event = new ChatBackendEvent(ChatBackendEvent.SCHEMA_VERSION, Long.parseLong(args[1]),
                ChatBackendEvent.State.ACTIVE,
                new ChatBackendEvent.Backend(args[2], args[3], args[4], args[4], null, null, "base", "local"),
                Instant.now(), "bench-" + UUID.randomUUID(), null);
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(CloudEvents.record(event, CloudEvents.source("bench"))).get(30, TimeUnit.SECONDS);
        }
    }
}
