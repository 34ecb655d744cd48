package io.sage.studio.gpu.telemetry;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.context.ApplicationScoped;

import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.gpu.config.GpuConfig;
import io.sage.studio.gpu.probe.GpuProbe;
import io.sage.studio.gpu.probe.GpuReading;
import io.sage.studio.gpu.probe.GpuSnapshot;

/** This node's GPUs: reads the probe and keeps the latest reading, as telemetry events of this node. */
@ApplicationScoped
public class LocalGpus {

    private final GpuProbe probe;
    private final String node;
    private final Duration interval;
    private final AtomicReference<Reading> latest = new AtomicReference<>();

    public LocalGpus(GpuProbe probe, NodeIdentity node, GpuConfig config) {
        this.probe = probe;
        this.node = node.name();
        this.interval = config.telemetryInterval();
    }

    /** Reads the GPUs now and keeps the result. */
    public Reading refresh() {
        GpuSnapshot snapshot = probe.read();
        Instant at = Instant.now();
        List<GpuTelemetryEvent> events = snapshot.devices().stream()
                .map(r -> event(node, snapshot, r, at, interval))
                .toList();
        Reading reading = new Reading(node, at, snapshot, events);
        latest.set(reading);
        return reading;
    }

    /** The latest reading; reads now when there is none yet. */
    public Reading latest() {
        Reading reading = latest.get();
        return reading != null ? reading : refresh();
    }

    public String node() {
        return node;
    }

    static GpuTelemetryEvent event(
            String node, GpuSnapshot snapshot, GpuReading reading, Instant at, Duration interval) {
        List<GpuTelemetryEvent.GpuProcess> processes = reading.processes().stream()
                .map(p -> new GpuTelemetryEvent.GpuProcess(
                        p.pid(), p.usedMemoryBytes() == null ? -1 : p.usedMemoryBytes()))
                .toList();
        return new GpuTelemetryEvent(
                GpuTelemetryEvent.SCHEMA_VERSION,
                node,
                at,
                interval.toMillis(),
                snapshot.driverVersion(),
                snapshot.cudaVersion(),
                reading.index(),
                reading.uuid(),
                reading.name(),
                reading.memoryTotalBytes(),
                reading.memoryFreeBytes(),
                reading.memoryUsedBytes(),
                reading.gpuUtilizationPercent(),
                reading.memoryUtilizationPercent(),
                reading.temperatureCelsius(),
                reading.powerWatts(),
                processes);
    }

    /**
     * One read of this node's GPUs.
     *
     * @param events the GPUs read, as the events published for them
     */
    public record Reading(String node, Instant at, GpuSnapshot snapshot, List<GpuTelemetryEvent> events) {}
}
