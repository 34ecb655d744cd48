package io.sage.studio.gpu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;
import io.sage.studio.gpu.StandinNvml.Gpu;

/**
 * The service on node {@code gpu-node-a} with the stand-in NVML library (two GPUs to start with), telemetry
 * every 200 ms, and a studio home of its own under {@code target/}. Tests reconfigure the GPUs through
 * {@link #nvml()}.
 */
public class StandinGpuProfile implements QuarkusTestProfile {

    public static final String NODE = "gpu-node-a";
    public static final long GIB = 1L << 30;
    public static final Gpu A100 =
            new Gpu("GPU-standin-a100", "NVIDIA A100-SXM4-80GB", 80 * GIB, 70 * GIB).with("processes=3141:" + 10 * GIB);
    public static final Gpu L4 = new Gpu("GPU-standin-l4", "NVIDIA L4 — Prüfstand 测试", 23 * GIB, 22 * GIB);

    private static final Path DIR = Path.of("target", "standin-gpu-profile").toAbsolutePath();

    @Override
    public Map<String, String> getConfigOverrides() {
        StandinNvml nvml = StandinNvml.in(DIR.resolve("nvml")).configure(StandinNvml.system(A100, L4));
        try {
            Files.createDirectories(home());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of(
                "studio.gpu.nvml-library",
                nvml.library().toString(),
                "studio.gpu.node-name",
                NODE,
                "studio.gpu.telemetry-interval",
                "200ms",
                "studio.home",
                home().toString());
    }

    /** The stand-in library the running service loaded. */
    public static StandinNvml nvml() {
        return StandinNvml.at(DIR.resolve("nvml"));
    }

    public static Path home() {
        return DIR.resolve("home");
    }
}
