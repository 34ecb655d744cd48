package io.sage.studio.gpu.probe;

import java.util.List;

/**
 * One reading of one GPU. Optional measurements the device does not support (temperature on some vGPUs,
 * power on consumer boards) are {@code null}.
 *
 * @param name the marketing name, decoded as UTF-8; {@code null} when NVML could not give it
 * @param powerWatts board power draw
 * @param processes compute processes holding memory on the GPU
 */
public record GpuReading(
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
        List<Process> processes) {

    public GpuReading {
        processes = List.copyOf(processes);
    }

    /**
     * A compute process on the GPU.
     *
     * @param usedMemoryBytes {@code null} when NVML cannot tell (e.g. the process lives in another PID namespace)
     */
    public record Process(long pid, Long usedMemoryBytes) {}
}
