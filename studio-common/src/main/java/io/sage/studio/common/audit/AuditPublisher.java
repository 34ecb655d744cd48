package io.sage.studio.common.audit;

import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sage.studio.common.kafka.KafkaClientConfig;
import io.sage.studio.events.AuditEvent;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.EventSignature;

/**
 * Sends audit entries to {@code studio.audit} without holding up the calls they describe: {@link #publish} only
 * offers the entry to a bounded buffer ({@code studio.audit.buffer}, default 1000) and returns; one daemon thread
 * hands the entries to a Kafka producer of its own. When the broker is away the thread waits at most
 * {@code studio.audit.send-timeout} per entry, the buffer fills, and further entries are dropped at once. Every drop
 * is counted ({@link #dropped()}, {@code studio_audit_dropped_total{reason}}) and logged: the first at once, then at
 * most one summary a minute, never with the entry's content.
 *
 * <p>A plain producer rather than a SmallRye channel, so that every service gets the audit log from this module
 * alone, without channel settings of its own. Entries are CloudEvents in binary mode like every studio event, and
 * signed when the studio has an event signing key ({@code studio.events.signing-key}), so the reader can tell
 * entries of the services from records anyone with write access to the topic could append.
 */
@ApplicationScoped
public class AuditPublisher {

    private static final Logger LOG = Logger.getLogger(AuditPublisher.class);
    private static final long LOG_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final KafkaClientConfig kafka;
    private final String source;
    private final Optional<EventSignature> signature;
    private final BlockingQueue<AuditEvent> buffer;
    private final Duration sendTimeout;
    private final Optional<MeterRegistry> registry;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong droppedSinceLog = new AtomicLong();
    private volatile long lastLog = System.nanoTime() - LOG_EVERY_NANOS;
    private volatile Thread sender;
    private Producer<String, byte[]> producer;
    private volatile boolean closed;

    @Inject
    public AuditPublisher(
            KafkaClientConfig kafka,
            @ConfigProperty(name = "quarkus.application.name", defaultValue = "studio") String service,
            @ConfigProperty(name = "studio.events.signing-key") Optional<String> signingKey,
            @ConfigProperty(name = "studio.audit.buffer", defaultValue = "1000") int buffer,
            @ConfigProperty(name = "studio.audit.send-timeout", defaultValue = "5s") Duration sendTimeout,
            Instance<MeterRegistry> registry) {
        this.kafka = kafka;
        this.source = CloudEvents.source(service);
        this.signature = signingKey.filter(key -> !key.isBlank()).map(EventSignature::withKey);
        this.buffer = new ArrayBlockingQueue<>(Math.max(1, buffer));
        this.sendTimeout = sendTimeout;
        this.registry = registry.isResolvable() ? Optional.of(registry.get()) : Optional.empty();
    }

    /** Queues an entry for {@code studio.audit}; never blocks (a full buffer drops the entry, counted). */
    public void publish(AuditEvent event) {
        if (closed) {
            return;
        }
        if (sender == null) {
            start();
        }
        if (!buffer.offer(event)) {
            drop("buffer_full");
        }
    }

    /** How many entries this service could not send since it started. */
    public long dropped() {
        return dropped.get();
    }

    private synchronized void start() {
        if (sender != null) {
            return;
        }
        Properties props = kafka.properties();
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "audit-" + source.substring(source.lastIndexOf('/') + 1));
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        // The producer's own buffer is bounded too; a send waits at most this long for metadata or room.
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(sendTimeout.toMillis()));
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(4L << 20));
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        producer = new KafkaProducer<>(props);
        sender = new Thread(this::run, "audit-publisher");
        sender.setDaemon(true);
        sender.start();
    }

    private void run() {
        while (!closed || !buffer.isEmpty()) {
            AuditEvent event;
            try {
                event = buffer.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (event == null) {
                continue;
            }
            try {
                ProducerRecord<String, byte[]> record = CloudEvents.record(event, source);
                signature.ifPresent(key -> key.sign(record.headers(), record.value()));
                producer.send(record, (metadata, failure) -> {
                    if (failure != null) {
                        drop("kafka");
                    }
                });
            } catch (RuntimeException e) {
                // max.block.ms passed (no broker, or the producer's buffer is full), or the producer is closing.
                drop("kafka");
            }
        }
    }

    private void drop(String reason) {
        dropped.incrementAndGet();
        long since = droppedSinceLog.incrementAndGet();
        registry.ifPresent(meters -> Counter.builder("studio_audit_dropped")
                .description("Audit entries this service could not send to studio.audit")
                .tag("reason", reason)
                .register(meters)
                .increment());
        long now = System.nanoTime();
        if (now - lastLog >= LOG_EVERY_NANOS) {
            lastLog = now;
            droppedSinceLog.addAndGet(-since);
            LOG.warnf(
                    "audit log: dropped %d entr%s (%s; %d since start): studio.audit is not reachable or too slow",
                    since, since == 1 ? "y" : "ies", reason, dropped.get());
        }
    }

    @PreDestroy
    synchronized void close() {
        closed = true;
        if (sender == null) {
            return;
        }
        try {
            sender.join(sendTimeout.toMillis() + 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(2));
    }
}
