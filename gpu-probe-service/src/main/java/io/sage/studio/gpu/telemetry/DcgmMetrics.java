package io.sage.studio.gpu.telemetry;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import jakarta.inject.Singleton;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.sage.studio.gpu.probe.GpuReading;

/**
 * This node's GPU telemetry on {@code /q/metrics} under the names and labels of NVIDIA's dcgm-exporter
 * ({@code DCGM_FI_DEV_FB_USED{gpu,UUID,device,modelName,Hostname,DCGM_FI_DRIVER_VERSION}} and the others below; units
 * in the module README), so that dashboards and alerts written for dcgm-exporter work on a studio that runs without it.
 * The values are those of the latest telemetry read (every {@code studio.gpu.telemetry-interval}); a measurement the
 * GPU does not support has no sample, and a GPU that is gone loses its series at the next read.
 */
@Singleton
public class DcgmMetrics {

    private static final double MIB = 1024.0 * 1024.0;

    /** One exported field: its dcgm-exporter name, description (with the unit) and value, {@code null} if unknown. */
    private record Field(String name, String help, Function<GpuReading, Number> value) {}

    private static final List<Field> FIELDS = List.of(
            new Field("DCGM_FI_DEV_FB_FREE", "Framebuffer memory free (in MiB).", r -> mib(r.memoryFreeBytes())),
            new Field("DCGM_FI_DEV_FB_USED", "Framebuffer memory used (in MiB).", r -> mib(r.memoryUsedBytes())),
            new Field("DCGM_FI_DEV_FB_TOTAL", "Framebuffer memory total (in MiB).", r -> mib(r.memoryTotalBytes())),
            new Field("DCGM_FI_DEV_GPU_UTIL", "GPU utilization (in %).", GpuReading::gpuUtilizationPercent),
            new Field("DCGM_FI_DEV_MEM_COPY_UTIL", "Memory utilization (in %).", GpuReading::memoryUtilizationPercent),
            new Field("DCGM_FI_DEV_GPU_TEMP", "GPU temperature (in C).", GpuReading::temperatureCelsius),
            new Field("DCGM_FI_DEV_POWER_USAGE", "Power draw (in W).", GpuReading::powerWatts));

    private final List<MultiGauge> gauges = new ArrayList<>();

    public DcgmMetrics(MeterRegistry registry) {
        for (Field field : FIELDS) {
            gauges.add(
                    MultiGauge.builder(field.name()).description(field.help()).register(registry));
        }
    }

    /** Exports {@code reading}'s GPUs in place of the previous read's. */
    public synchronized void update(LocalGpus.Reading reading) {
        String driver = reading.snapshot().driverVersion();
        for (int i = 0; i < FIELDS.size(); i++) {
            Field field = FIELDS.get(i);
            List<MultiGauge.Row<?>> rows = new ArrayList<>();
            for (GpuReading gpu : reading.snapshot().devices()) {
                Number value = field.value().apply(gpu);
                if (value != null) {
                    rows.add(MultiGauge.Row.of(labels(reading.node(), driver, gpu), value));
                }
            }
            gauges.get(i).register(rows, true);
        }
    }

    /** dcgm-exporter's labels of one GPU. */
    static Tags labels(String node, String driver, GpuReading gpu) {
        return Tags.of(
                "gpu",
                Integer.toString(gpu.index()),
                "UUID",
                String.valueOf(gpu.uuid()),
                "device",
                "nvidia" + gpu.index(),
                "modelName",
                gpu.name() == null ? "" : gpu.name(),
                "Hostname",
                node,
                "DCGM_FI_DRIVER_VERSION",
                driver == null ? "" : driver);
    }

    private static Long mib(long bytes) {
        return bytes < 0 ? null : (long) Math.floor(bytes / MIB);
    }
}
