package io.sage.studio.gpu.telemetry;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.sage.studio.common.kafka.CompactedTopicView;
import io.sage.studio.common.kafka.KafkaClientConfig;
import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.events.Topics;
import io.sage.studio.gpu.config.GpuConfig;

/**
 * The GPUs of every node: the latest reading per GPU on the compacted {@code studio.gpu.telemetry} topic (read
 * from the beginning by every replica), with readings of nodes that stopped reporting left out, and this
 * node's own GPUs taken from the local probe (fresher, and there even while Kafka is down).
 */
@ApplicationScoped
public class ClusterGpus {

    private static final Comparator<GpuTelemetryEvent> ORDER = Comparator.comparing(GpuTelemetryEvent::node)
            .thenComparingInt(GpuTelemetryEvent::index)
            .thenComparing(GpuTelemetryEvent::uuid);

    private final KafkaClientConfig kafka;
    private final LocalGpus local;
    private final Duration interval;
    private final int staleAfterIntervals;
    private CompactedTopicView<GpuTelemetryEvent> view;

    public ClusterGpus(KafkaClientConfig kafka, LocalGpus local, GpuConfig config) {
        this.kafka = kafka;
        this.local = local;
        this.interval = config.telemetryInterval();
        this.staleAfterIntervals = config.staleAfterIntervals();
    }

    void onStart(@Observes StartupEvent event) {
        view = new CompactedTopicView<>(Topics.GPU_TELEMETRY, GpuTelemetryEvent.class, kafka.properties()).start();
    }

    void onStop(@Observes ShutdownEvent event) {
        view.close();
    }

    /** Whether the view has read the topic up to where it ended at start-up. */
    public boolean caughtUp() {
        return view != null && view.caughtUp();
    }

    /** Every reading on the topic, stale or not, by key. */
    public Map<String, GpuTelemetryEvent> published() {
        return view == null ? Map.of() : view.snapshot();
    }

    /**
     * The current GPUs, ordered by node and index.
     *
     * @param node only this node's; {@code null} for all
     */
    public List<GpuTelemetryEvent> devices(String node, Instant now) {
        LocalGpus.Reading mine = local.latest();
        boolean probing = mine.snapshot().available();
        List<GpuTelemetryEvent> out = new ArrayList<>();
        for (GpuTelemetryEvent event : published().values()) {
            boolean replacedByProbe = probing && event.node().equals(mine.node());
            if (!replacedByProbe && fresh(event, now) && (node == null || node.equals(event.node()))) {
                out.add(event);
            }
        }
        if (node == null || node.equals(mine.node())) {
            out.addAll(mine.events());
        }
        out.sort(ORDER);
        return out;
    }

    /** A reading is stale once it is older than {@code stale-after-intervals} of its own interval. */
    boolean fresh(GpuTelemetryEvent event, Instant now) {
        long intervalMillis = event.intervalMillis() > 0 ? event.intervalMillis() : interval.toMillis();
        return event.timestamp() != null
                && !event.timestamp()
                        .plusMillis(intervalMillis * staleAfterIntervals)
                        .isBefore(now);
    }
}
