package io.sage.studio.events;

import java.time.Instant;
import java.util.List;

/**
 * The latest reading of one GPU on one node. Key: {@code node/uuid} (compacted topic: one record per GPU).
 * A {@code null} value on the same key (a tombstone) means the GPU is gone.
 */
public record GpuTelemetryEvent(
        int schemaVersion,
        String node,
        Instant timestamp,
        long intervalMillis,
        String driverVersion,
        String cudaVersion,
        int index,
        String uuid,
        String name,
        long memoryTotalBytes,
        long memoryFreeBytes,
        long memoryUsedBytes,
        Integer gpuUtilizationPercent,
        Integer memoryUtilizationPercent,
        Integer temperatureCelsius,
        Double powerWatts,
        List<GpuProcess> processes)
        implements StudioEvent {

    public static final int SCHEMA_VERSION = 1;
    public static final String TYPE = "io.sage.studio.gpu.telemetry.v1";

    /** A process holding memory on the GPU. */
    public record GpuProcess(long pid, long usedMemoryBytes) {}

    public static String keyOf(String node, String uuid) {
        return node + "/" + uuid;
    }

    @Override
    public String key() {
        return keyOf(node, uuid);
    }

    @Override
    public String cloudEventType() {
        return TYPE;
    }

    @Override
    public String topic() {
        return Topics.GPU_TELEMETRY;
    }
}
