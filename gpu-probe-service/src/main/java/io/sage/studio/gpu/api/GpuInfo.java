package io.sage.studio.gpu.api;

import java.time.Instant;
import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

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
        @Schema(required = true) boolean available,
        @Schema(required = true) int count,
        @Schema(required = true) List<Device> devices,
        String recommendation,
        String reason,
        List<Node> nodes,
        String localNode,
        List<Error> errors) {

    /**
     * @param id the seed's integer id: the GPU's NVML index on its node (the same as {@code index}; unique only within
     *     a node — {@code device_id} is unique in the cluster)
     * @param deviceId {@code node/uuid}, unique in the cluster (what {@code id} held before the seed's integer came
     *     back)
     * @param memoryGb total memory in GiB, one decimal
     * @param processes compute processes; {@code used_memory_bytes} is {@code null} when NVML cannot tell
     */
    @Schema(name = "GpuDevice")
    public record Device(
            @Schema(required = true) int id,
            @Schema(required = true) String deviceId,
            @Schema(required = true) int index,
            String uuid,
            @Schema(required = true) String name,
            String node,
            @Schema(required = true) double memoryGb,
            @Schema(required = true) long memoryTotalBytes,
            @Schema(required = true) long memoryFreeBytes,
            @Schema(required = true) long memoryUsedBytes,
            Integer utilizationGpu,
            Integer utilizationMemory,
            Integer temperatureC,
            Double powerW,
            List<Process> processes,
            Instant timestamp) {}

    public record Process(@Schema(required = true) long pid, Long usedMemoryBytes) {}

    /** A node with current telemetry. */
    @Schema(name = "GpuNode")
    public record Node(
            @Schema(required = true) String name,
            @Schema(required = true) int count,
            String driverVersion,
            String cudaVersion,
            Instant lastSeen,
            boolean local) {}

    /** An NVML call that failed for a GPU of this node ({@code index} -1: the device list). */
    @Schema(name = "NvmlError")
    public record Error(@Schema(required = true) int index, String function, int code, String message) {}
}
