package io.sage.studio.common.kafka;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

import io.sage.studio.events.CloudEvents;

/**
 * A live, in-memory table of a compacted topic: the latest value per key. It reads the topic from the
 * beginning without a consumer group (every replica sees everything) and reports {@link #caughtUp()} once it
 * has read up to the end offsets it found at start, so a service can be ready only when its view is current.
 *
 * @param <V> the event type of the topic's values; tombstones remove the key
 */
public final class CompactedTopicView<V> implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(CompactedTopicView.class);

    private final String topic;
    private final Class<V> type;
    private final Properties clientProps;
    private final Map<String, V> table = new ConcurrentHashMap<>();
    private final List<BiConsumer<String, V>> listeners = new CopyOnWriteArrayList<>();
    private volatile Predicate<ConsumerRecord<String, byte[]>> admission = record -> true;
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile boolean running = true;
    private final Thread thread;

    public CompactedTopicView(String topic, Class<V> type, Properties clientProps) {
        this.topic = topic;
        this.type = type;
        this.clientProps = clientProps;
        this.thread = new Thread(this::run, "view-" + topic);
        this.thread.setDaemon(true);
    }

    /** Starts reading; returns at once. */
    public CompactedTopicView<V> start() {
        thread.start();
        return this;
    }

    /** Called for each change after it is applied (value {@code null} for a removal), on the reader thread. */
    public void onChange(BiConsumer<String, V> listener) {
        listeners.add(listener);
    }

    /**
     * Only records {@code admission} accepts reach the table (e.g. {@link EventSigning#accept}); others are skipped
     * as if they were not on the topic. Set before {@link #start()}.
     */
    public CompactedTopicView<V> admitOnly(Predicate<ConsumerRecord<String, byte[]>> admission) {
        this.admission = admission;
        return this;
    }

    public V get(String key) {
        return table.get(key);
    }

    public Map<String, V> snapshot() {
        return Map.copyOf(table);
    }

    public boolean caughtUp() {
        return caughtUp.getCount() == 0;
    }

    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void run() {
        while (running) {
            try (KafkaConsumer<String, byte[]> c = newConsumer()) {
                consumer = c;
                List<TopicPartition> partitions = partitions(c);
                c.assign(partitions);
                c.seekToBeginning(partitions);
                Map<TopicPartition, Long> end = c.endOffsets(partitions);
                while (running) {
                    for (ConsumerRecord<String, byte[]> record : c.poll(Duration.ofMillis(500))) {
                        apply(record);
                    }
                    if (caughtUp.getCount() > 0
                            && end.entrySet().stream().allMatch(e -> c.position(e.getKey()) >= e.getValue())) {
                        caughtUp.countDown();
                    }
                }
            } catch (WakeupException e) {
                return;
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                LOG.warnf("reading %s failed (%s); retrying", topic, e.getMessage());
                sleepQuietly(2000);
            }
        }
    }

    private List<TopicPartition> partitions(KafkaConsumer<String, byte[]> c) {
        while (running) {
            List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(10));
            if (infos != null && !infos.isEmpty()) {
                return infos.stream()
                        .map(p -> new TopicPartition(topic, p.partition()))
                        .toList();
            }
            sleepQuietly(1000);
        }
        throw new WakeupException();
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        if (record.key() == null || !admission.test(record)) {
            return;
        }
        V value = null;
        if (record.value() != null) {
            try {
                value = CloudEvents.decode(record.value(), type);
            } catch (RuntimeException e) {
                LOG.warnf(
                        "skipping an undecodable record on %s at offset %d: %s",
                        topic, record.offset(), e.getMessage());
                return;
            }
            table.put(record.key(), value);
        } else {
            table.remove(record.key());
        }
        for (BiConsumer<String, V> listener : listeners) {
            try {
                listener.accept(record.key(), value);
            } catch (RuntimeException e) {
                LOG.warnf(e, "a listener of %s failed", topic);
            }
        }
    }

    private KafkaConsumer<String, byte[]> newConsumer() {
        Properties props = new Properties();
        props.putAll(clientProps);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
