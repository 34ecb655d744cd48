package io.sage.studio.gpu.api;

import java.time.Instant;
import java.util.List;

/**
 * {@code GET /api/system/gpu-info}: the seed's {@code {available, count, devices: [{id, name, memory_gb}],
 * recommendation}} plus memory, utilisation, processes and the node of every GPU in the cluster.
 *
 * @param reason why no GPU is available; {@code null} when one is
 * @param recommendation what the GPU with the most free memory can train, in one sentence
 * @param localNode the node this replica runs on
 * @param errors GPUs of this node that NVML could not read
 */
public record GpuInfo(
        boolean available,
        int count,
        List<Device> devices,
        String recommendation,
        String reason,
        List<Node> nodes,
        String localNode,
        List<Error> errors) {

    /**
     * @param id {@code node/uuid}, unique in the cluster
     * @param memoryGb total memory in GiB, one decimal
     * @param processes compute processes; {@code used_memory_bytes} is {@code null} when NVML cannot tell
     */
    public record Device(
            String id,
            int index,
            String uuid,
            String name,
            String node,
            double memoryGb,
            long memoryTotalBytes,
            long memoryFreeBytes,
            long memoryUsedBytes,
            Integer utilizationGpu,
            Integer utilizationMemory,
            Integer temperatureC,
            Double powerW,
            List<Process> processes,
            Instant timestamp) {
    }

    public record Process(long pid, Long usedMemoryBytes) {
    }

    /** A node with current telemetry. */
    public record Node(String name, int count, String driverVersion, String cudaVersion, Instant lastSeen,
            boolean local) {
    }

    /** An NVML call that failed for a GPU of this node ({@code index} -1: the device list). */
    public record Error(int index, String function, int code, String message) {
    }
}
