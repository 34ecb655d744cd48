import java.util.Locale;

import io.sage.studio.gpu.nvml.NvmlGpuProbe;
import io.sage.studio.gpu.probe.GpuReading;
import io.sage.studio.gpu.probe.GpuSnapshot;

/**
 * Reads the GPUs of this machine through the gpu-probe-service's JNA binding against the real driver and
 * prints what it found, one line per GPU, for comparison with {@code nvidia-smi}. Run on a GPU machine:
 *
 * <pre>java -cp gpu-probe-service/target/classes:jna.jar:jboss-logging.jar bench/gpu/NvmlProbeCheck.java [library]</pre>
 */
public final class NvmlProbeCheck {

    public static void main(String[] args) throws Exception {
        String library = args.length > 0 ? args[0] : "libnvidia-ml.so.1";
        long start = System.nanoTime();
        try (NvmlGpuProbe probe = NvmlGpuProbe.open(library)) {
            long opened = System.nanoTime();
            GpuSnapshot snapshot = probe.read();
            long first = System.nanoTime();
            int rounds = 100;
            for (int i = 0; i < rounds; i++) {
                probe.read();
            }
            long done = System.nanoTime();
            System.out.printf(Locale.ROOT, "NVML library=%s driver=%s cuda=%s available=%s gpus=%d errors=%s%n",
                    library, snapshot.driverVersion(), snapshot.cudaVersion(), snapshot.available(),
                    snapshot.devices().size(), snapshot.errors());
            for (GpuReading gpu : snapshot.devices()) {
                System.out.printf(Locale.ROOT, "GPU index=%d uuid=%s name=%s total=%d free=%d used=%d util=%s/%s "
                        + "temp=%s power=%s processes=%s%n", gpu.index(), gpu.uuid(), gpu.name(),
                        gpu.memoryTotalBytes(), gpu.memoryFreeBytes(), gpu.memoryUsedBytes(),
                        gpu.gpuUtilizationPercent(), gpu.memoryUtilizationPercent(), gpu.temperatureCelsius(),
                        gpu.powerWatts(), gpu.processes());
            }
            System.out.printf(Locale.ROOT, "TIMING open_ms=%.1f first_read_ms=%.2f read_ms_avg=%.3f%n",
                    (opened - start) / 1e6, (first - opened) / 1e6, (done - first) / 1e6 / rounds);
        }
    }
}
