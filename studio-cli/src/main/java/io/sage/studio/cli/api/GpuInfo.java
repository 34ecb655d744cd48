package io.sage.studio.cli.api;

import java.util.List;

/** {@code GET /api/system/gpu-info}: the GPUs of every node (gpu-probe-service, through the gateway). */
public record GpuInfo(boolean available, String reason, List<Device> devices, String recommendation) {

    private static final double GIB = 1L << 30;

    public GpuInfo {
        devices = devices == null ? List.of() : devices;
    }

    /**
     * One GPU.
     *
     * @param id the seed's integer id: the GPU's index on its node
     * @param deviceId {@code node/uuid}, unique in the cluster
     * @param memoryGb total memory in GiB (the seed's field; the byte counts are this service's)
     */
    public record Device(
            Integer id,
            String deviceId,
            String node,
            Integer index,
            String uuid,
            String name,
            Double memoryGb,
            Double memoryFreeBytes,
            Double memoryTotalBytes,
            Integer utilizationGpu) {

        /** The GPU's index on its node: {@code index}, else the seed's {@code id}. */
        public Integer indexOnNode() {
            return index != null ? index : id;
        }

        /** Total memory in GiB, from the bytes or else the seed's {@code memory_gb}; {@code null} when neither. */
        public Double totalGib() {
            return memoryTotalBytes != null ? memoryTotalBytes / GIB : memoryGb;
        }

        /** Free memory in GiB, {@code null} when not reported (the seed did not). */
        public Double freeGib() {
            return memoryFreeBytes != null ? memoryFreeBytes / GIB : null;
        }
    }
}
