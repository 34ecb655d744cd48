package io.sage.studio.finetune.audit;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.sage.studio.common.kafka.EventSigning;
import io.sage.studio.common.kafka.KafkaClientConfig;
import io.sage.studio.events.AuditEvent;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.Topics;

/**
 * Keeps the audit log of the whole studio: reads {@code studio.audit} (every service's entries) in its own consumer
 * group ({@value #GROUP}) and commits a batch only after {@link AuditStore} has it on disk, so an entry is never lost
 * between the topic and the file (at worst written twice after a crash, and answered once). With an event signing
 * key, entries not signed by a studio service are dropped and counted ({@link EventSigning}): anyone who may write to
 * the topic could otherwise add entries. A plain consumer thread rather than a SmallRye channel, so the commit
 * follows the write exactly.
 */
@ApplicationScoped
public class AuditConsumer {

    static final String GROUP = "finetune-audit";

    private static final Logger LOG = Logger.getLogger(AuditConsumer.class);
    private static final Duration RETRY = Duration.ofSeconds(5);

    private final KafkaClientConfig kafka;
    private final EventSigning signing;
    private final AuditStore store;
    private KafkaConsumer<String, byte[]> consumer;
    private Thread thread;
    private volatile boolean stopping;

    public AuditConsumer(KafkaClientConfig kafka, EventSigning signing, AuditStore store) {
        this.kafka = kafka;
        this.signing = signing;
        this.store = store;
    }

    void start(@Observes StartupEvent event) {
        Properties props = kafka.properties();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "finetune-audit");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "500");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumer = new KafkaConsumer<>(props);
        thread = new Thread(this::run, "audit-consumer");
        thread.setDaemon(true);
        thread.start();
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
        if (consumer != null) {
            consumer.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        try {
            consumer.subscribe(List.of(Topics.AUDIT));
            while (!stopping) {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofSeconds(1));
                if (records.isEmpty()) {
                    continue;
                }
                List<AuditEvent> entries = new ArrayList<>(records.count());
                for (ConsumerRecord<String, byte[]> record : records) {
                    AuditEvent entry = decode(record);
                    if (entry != null) {
                        entries.add(entry);
                    }
                }
                try {
                    store.append(entries);
                    consumer.commitSync();
                } catch (IOException | RuntimeException e) {
                    LOG.warnf(
                            "audit log: cannot keep %d entries (%s); reading them again in %ds",
                            entries.size(), e.getMessage(), RETRY.toSeconds());
                    rewind(records);
                    Thread.sleep(RETRY.toMillis());
                }
            }
        } catch (WakeupException e) {
            // stop() woke the consumer to end the loop.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    /** An entry of a studio service, or {@code null} (unsigned with a key set, not an audit entry). */
    private AuditEvent decode(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null || !signing.accept(record)) {
            return null;
        }
        try {
            return CloudEvents.decode(record.value(), AuditEvent.class);
        } catch (RuntimeException e) {
            LOG.warnf(
                    "audit log: skipped an unreadable record (partition %d, offset %d)",
                    record.partition(), record.offset());
            return null;
        }
    }

    /** Back to the first offset of each partition of a batch that was not kept, so it is read again. */
    private void rewind(ConsumerRecords<String, byte[]> records) {
        for (var partition : records.partitions()) {
            consumer.seek(partition, records.records(partition).get(0).offset());
        }
    }
}
