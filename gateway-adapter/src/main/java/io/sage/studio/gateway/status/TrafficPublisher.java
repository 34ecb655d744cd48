package io.sage.studio.gateway.status;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.sage.studio.common.kafka.KafkaClientConfig;
import io.sage.studio.events.ChatTrafficEvent;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.EventSignature;
import io.sage.studio.events.Topics;
import io.sage.studio.gateway.config.GatewayConfig;

/**
 * Publishes this gateway's traffic figures ({@link ChatTrafficEvent}: running totals per model since the process
 * started, key: a random id per process) on {@code studio.chat.traffic}, which the chat-switch rollouts read to
 * advance or roll back: every {@code studio.gateway.traffic-interval} when they changed, and at least every
 * {@value #HEARTBEAT_SECONDS} s, so that a reader can tell a quiet gateway from a gone one. A clean shutdown ends
 * with a tombstone for the key.
 *
 * <p>From a thread of its own, never the event loop: requests only add to counters. The producer is bounded
 * ({@code max.block.ms}, a small buffer), so a broker that is away costs a warning and a missed reading, never
 * memory or a request's time; the next reading carries the totals anyway. With {@code studio.events.signing-key}
 * the records are signed like route events, since these figures steer rollbacks.
 */
@Singleton
public class TrafficPublisher {

    private static final Logger LOG = Logger.getLogger(TrafficPublisher.class);
    static final long HEARTBEAT_SECONDS = 30;
    private static final String SOURCE = CloudEvents.source("gateway-adapter");

    private final KafkaClientConfig kafka;
    private final GatewayMetrics metrics;
    private final Duration interval;
    private final Optional<EventSignature> signature;
    private final String gatewayId = "gateway-" + UUID.randomUUID();
    private final Instant startedAt = Instant.now();
    private volatile KafkaProducer<String, byte[]> producer;
    private volatile ScheduledExecutorService scheduler;
    private final AtomicReference<Published> last = new AtomicReference<>();
    /** Whether the last delivery failed (one warning per outage); written by the producer's thread only. */
    private volatile boolean failing;

    public TrafficPublisher(
            KafkaClientConfig kafka,
            GatewayMetrics metrics,
            GatewayConfig config,
            @ConfigProperty(name = "studio.events.signing-key") Optional<String> signingKey) {
        this.kafka = kafka;
        this.metrics = metrics;
        this.interval = config.trafficInterval();
        this.signature = signingKey.filter(k -> !k.isBlank()).map(EventSignature::withKey);
    }

    void start(@Observes StartupEvent event) {
        Properties props = kafka.properties();
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "1000");
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "10000");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Integer.toString(1024 * 1024));
        props.put(ProducerConfig.CLIENT_ID_CONFIG, gatewayId + "-traffic");
        producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "traffic-publisher");
            thread.setDaemon(true);
            return thread;
        });
        long millis = Math.max(100, interval.toMillis());
        executor.scheduleWithFixedDelay(this::tick, millis, millis, TimeUnit.MILLISECONDS);
        scheduler = executor;
        LOG.infof(
                "traffic figures go to %s as '%s' every %d ms when they change%s",
                Topics.CHAT_TRAFFIC, gatewayId, millis, signature.isPresent() ? ", signed" : "");
    }

    void stop(@Observes ShutdownEvent event) {
        ScheduledExecutorService executor = scheduler;
        KafkaProducer<String, byte[]> p = producer;
        if (executor == null || p == null) {
            return;
        }
        executor.shutdown();
        try {
            if (executor.awaitTermination(2, TimeUnit.SECONDS)) {
                // The last totals, so that the requests of the final second are counted too, then the key goes.
                publish(metrics.traffic(), Instant.now());
                tombstone();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            p.close(Duration.ofSeconds(2));
        }
    }

    /**
     * Removes this process' key from the compacted topic: its figures end with it, and without the tombstone every
     * gateway process that ever ran would keep a record there. Sent after the last totals on the same key (one
     * partition, idempotent producer), so readers count those first; signed like the figures. A process that crashed
     * leaves its key; readers drop it from memory once it stayed silent (chat-switch's {@code TrafficView}).
     */
    private void tombstone() {
        ChatTrafficEvent gone =
                new ChatTrafficEvent(ChatTrafficEvent.SCHEMA_VERSION, gatewayId, startedAt, Instant.now(), List.of());
        ProducerRecord<String, byte[]> record =
                new ProducerRecord<>(gone.topic(), null, gatewayId, null, CloudEvents.headers(gone, SOURCE));
        signature.ifPresent(s -> s.sign(record.headers(), null));
        producer.send(record, (metadata, error) -> {
            if (error != null) {
                LOG.warnf("the tombstone of %s was not delivered: %s", gatewayId, error.toString());
            }
        });
    }

    /** This process' key on the topic. */
    public String gatewayId() {
        return gatewayId;
    }

    /** When this process started counting. */
    public Instant startedAt() {
        return startedAt;
    }

    /** The last figures handed to Kafka, or {@code null} before the first. */
    public Published last() {
        return last.get();
    }

    private void tick() {
        try {
            List<ChatTrafficEvent.ModelTraffic> models = metrics.traffic();
            Instant now = Instant.now();
            Published previous = last.get();
            if (previous != null
                    && previous.models().equals(models)
                    && Duration.between(previous.at(), now).toSeconds() < HEARTBEAT_SECONDS) {
                return;
            }
            publish(models, now);
        } catch (RuntimeException e) {
            // Never let one failure end the schedule; the next reading carries the totals.
            LOG.warnf("traffic figures not published: %s", e.toString());
        }
    }

    private void publish(List<ChatTrafficEvent.ModelTraffic> models, Instant now) {
        ChatTrafficEvent event =
                new ChatTrafficEvent(ChatTrafficEvent.SCHEMA_VERSION, gatewayId, startedAt, now, models);
        ProducerRecord<String, byte[]> record = CloudEvents.record(event, SOURCE);
        signature.ifPresent(s -> s.sign(record.headers(), record.value()));
        Published published = new Published(now, models);
        last.set(published);
        producer.send(record, (metadata, error) -> {
            if (error == null) {
                failing = false;
                return;
            }
            // Sent again with the next reading, changed or not.
            last.compareAndSet(published, null);
            if (!failing) {
                LOG.warnf(
                        "traffic figures not delivered to %s (sent again with the next reading): %s",
                        event.topic(), error.toString());
            }
            failing = true;
        });
    }

    /**
     * Figures handed to Kafka.
     *
     * @param at     when they were read
     * @param models the totals per model
     */
    public record Published(Instant at, List<ChatTrafficEvent.ModelTraffic> models) {}
}
