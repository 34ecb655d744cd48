package io.sage.studio.cli.api;

import java.util.List;

/** {@code GET /api/system/gpu-info}: the GPUs of every node (gpu-probe-service, through the gateway). */
public record GpuInfo(boolean available, String reason, List<Device> devices, String recommendation) {

    public GpuInfo {
        devices = devices == null ? List.of() : devices;
    }

    /** One GPU. */
    public record Device(
            String node,
            Integer index,
            String name,
            double memoryFreeBytes,
            double memoryTotalBytes,
            Integer utilizationGpu) {}
}
