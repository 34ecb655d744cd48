package io.sage.studio.gpu.api;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.gpu.estimate.EstimateService;
import io.sage.studio.gpu.probe.GpuSnapshot;
import io.sage.studio.gpu.telemetry.ClusterGpus;
import io.sage.studio.gpu.telemetry.LocalGpus;

/** Builds the {@code gpu-info} answer from the cluster's telemetry and this node's probe. */
@ApplicationScoped
public class GpuInfoService {

    private final ClusterGpus cluster;
    private final LocalGpus local;
    private final EstimateService estimates;

    public GpuInfoService(ClusterGpus cluster, LocalGpus local, EstimateService estimates) {
        this.cluster = cluster;
        this.local = local;
        this.estimates = estimates;
    }

    public GpuInfo describe(String node) {
        String filter = node == null || node.isBlank() ? null : node.strip();
        List<GpuTelemetryEvent> events = cluster.devices(filter, Instant.now());
        List<GpuInfo.Device> devices =
                events.stream().map(GpuInfoService::device).toList();
        Map<String, List<GpuTelemetryEvent>> byNode = new LinkedHashMap<>();
        events.forEach(
                e -> byNode.computeIfAbsent(e.node(), k -> new ArrayList<>()).add(e));
        List<GpuInfo.Node> nodes = byNode.entrySet().stream()
                .map(e -> {
                    GpuTelemetryEvent first = e.getValue().get(0);
                    Instant lastSeen = e.getValue().stream()
                            .map(GpuTelemetryEvent::timestamp)
                            .max(Instant::compareTo)
                            .orElse(first.timestamp());
                    return new GpuInfo.Node(
                            e.getKey(),
                            e.getValue().size(),
                            first.driverVersion(),
                            first.cudaVersion(),
                            lastSeen,
                            e.getKey().equals(local.node()));
                })
                .toList();

        GpuSnapshot mine = local.latest().snapshot();
        List<GpuInfo.Error> errors = mine.errors().stream()
                .map(e -> new GpuInfo.Error(e.index(), e.function(), e.code(), e.message()))
                .toList();
        boolean available = !devices.isEmpty();
        String reason = available ? null : reason(filter, mine);
        String recommendation = available
                ? estimates.advice(events)
                : "No GPU to train on: " + reason + ". Fine-tuning needs an NVIDIA GPU on this machine or on a "
                        + "cluster node running the gpu-probe-service; chat can still use a cloud API.";
        return new GpuInfo(available, devices.size(), devices, recommendation, reason, nodes, local.node(), errors);
    }

    private String reason(String filter, GpuSnapshot mine) {
        if (filter != null && !filter.equals(local.node())) {
            return "no current telemetry from node " + filter;
        }
        if (!mine.available()) {
            return mine.reason() + (filter == null ? "; and no other node reports GPUs" : "");
        }
        return String.format(
                Locale.ROOT,
                "NVML found no GPU on %s%s",
                local.node(),
                filter == null ? " and no other node reports GPUs" : "");
    }

    private static GpuInfo.Device device(GpuTelemetryEvent e) {
        List<GpuInfo.Process> processes = e.processes() == null
                ? List.of()
                : e.processes().stream()
                        .map(p -> new GpuInfo.Process(p.pid(), p.usedMemoryBytes() < 0 ? null : p.usedMemoryBytes()))
                        .toList();
        double gib = Math.round(e.memoryTotalBytes() / (double) (1L << 30) * 10) / 10.0;
        return new GpuInfo.Device(
                e.index(),
                e.key(),
                e.index(),
                e.uuid(),
                e.name(),
                e.node(),
                gib,
                e.memoryTotalBytes(),
                e.memoryFreeBytes(),
                e.memoryUsedBytes(),
                e.gpuUtilizationPercent(),
                e.memoryUtilizationPercent(),
                e.temperatureCelsius(),
                e.powerWatts(),
                processes,
                e.timestamp());
    }
}
