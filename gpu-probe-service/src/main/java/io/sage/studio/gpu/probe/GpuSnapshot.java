package io.sage.studio.gpu.probe;

import java.util.List;

/**
 * What one read of this node's GPUs found.
 *
 * @param available whether the probe can read GPUs at all (a driver and NVML are present)
 * @param reason why not, when {@code available} is false; {@code null} otherwise
 * @param driverVersion e.g. {@code 550.54.15}; {@code null} when unknown
 * @param cudaVersion the highest CUDA version the driver supports, e.g. {@code 12.4}; {@code null} when unknown
 * @param devices the GPUs that could be read, by index
 * @param errors the GPUs (or the device count) that could not be read
 */
public record GpuSnapshot(
        boolean available,
        String reason,
        String driverVersion,
        String cudaVersion,
        List<GpuReading> devices,
        List<DeviceError> errors) {

    public GpuSnapshot {
        devices = List.copyOf(devices);
        errors = List.copyOf(errors);
    }

    /** No GPU can be read on this node, and why. */
    public static GpuSnapshot unavailable(String reason) {
        return new GpuSnapshot(false, reason, null, null, List.of(), List.of());
    }

    /**
     * A GPU (or the device list when {@code index} is -1) that NVML could not read.
     *
     * @param function the NVML function that failed
     * @param code its {@code nvmlReturn_t}
     */
    public record DeviceError(int index, String function, int code, String message) {}
}
