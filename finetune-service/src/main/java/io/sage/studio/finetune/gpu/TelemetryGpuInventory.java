package io.sage.studio.finetune.gpu;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import io.sage.studio.common.kafka.CompactedTopicView;
import io.sage.studio.common.kafka.KafkaClientConfig;
import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.events.Topics;
import io.sage.studio.finetune.config.FinetuneConfig;

/**
 * GPUs from the compacted {@code studio.gpu.telemetry} topic, read from the beginning into memory.
 * The local node is {@code studio.finetune.local.gpu-node}, else {@code NODE_NAME}, else the host name — or,
 * when none of those report, the only node that does.
 */
@ApplicationScoped
public class TelemetryGpuInventory implements GpuInventory {

    private final CompactedTopicView<GpuTelemetryEvent> view;
    private final String node;

    public TelemetryGpuInventory(KafkaClientConfig kafka, FinetuneConfig config) {
        this.view = new CompactedTopicView<>(Topics.GPU_TELEMETRY, GpuTelemetryEvent.class, kafka.properties()).start();
        this.node = config.local()
                .gpuNode()
                .or(() -> Optional.ofNullable(System.getenv("NODE_NAME")).filter(n -> !n.isBlank()))
                .orElseGet(TelemetryGpuInventory::hostName);
    }

    /** Waits (bounded) until the view has read what the topic held at start. */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return view.awaitCaughtUp(timeout);
    }

    @Override
    public List<GpuTelemetryEvent> localGpus() {
        List<GpuTelemetryEvent> all = allGpus();
        List<GpuTelemetryEvent> mine =
                all.stream().filter(g -> node.equals(g.node())).toList();
        if (mine.isEmpty()
                && all.stream().map(GpuTelemetryEvent::node).distinct().count() == 1) {
            return all;
        }
        return mine;
    }

    @Override
    public List<GpuTelemetryEvent> allGpus() {
        return view.snapshot().values().stream()
                .sorted(Comparator.comparing(GpuTelemetryEvent::node).thenComparingInt(GpuTelemetryEvent::index))
                .toList();
    }

    @PreDestroy
    void close() {
        view.close();
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
