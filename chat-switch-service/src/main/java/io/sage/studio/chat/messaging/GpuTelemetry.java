package io.sage.studio.chat.messaging;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.sage.studio.common.kafka.CompactedTopicView;
import io.sage.studio.common.kafka.KafkaClientConfig;
import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.events.Topics;

/** The latest reading of every GPU, from the compacted {@code studio.gpu.telemetry} topic (the gpu-probe-service). */
@ApplicationScoped
public class GpuTelemetry {

    private final CompactedTopicView<GpuTelemetryEvent> view;

    public GpuTelemetry(KafkaClientConfig kafka) {
        this.view = new CompactedTopicView<>(Topics.GPU_TELEMETRY, GpuTelemetryEvent.class, kafka.properties());
    }

    void onStart(@Observes StartupEvent event) {
        view.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        view.close();
    }

    /** Every GPU last reported (all nodes). */
    public List<GpuTelemetryEvent> gpus() {
        return List.copyOf(view.snapshot().values());
    }
}
