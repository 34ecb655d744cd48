package io.sage.studio.gpu.nvml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sage.studio.gpu.StandinNvml;
import io.sage.studio.gpu.StandinNvml.Gpu;
import io.sage.studio.gpu.probe.GpuReading;
import io.sage.studio.gpu.probe.GpuSnapshot;

/** The JNA binding against the stand-in NVML library: real native calls, values chosen per test. */
class NvmlGpuProbeTest {

    private static final long GIB = 1L << 30;

    @TempDir
    Path dir;

    @Test
    void readsEveryGpuWithMemoryUtilisationTemperaturePowerAndVersions() throws Exception {
        StandinNvml nvml = StandinNvml.in(dir)
                .configure(StandinNvml.system(
                        new Gpu("GPU-aaaa-0001", "NVIDIA A100-SXM4-80GB", 80 * GIB, 60 * GIB),
                        new Gpu("GPU-bbbb-0002", "NVIDIA L4", 23 * GIB, 20 * GIB)));
        try (NvmlGpuProbe probe = NvmlGpuProbe.open(nvml.library().toString())) {
            GpuSnapshot snapshot = probe.read();

            assertThat(snapshot.available()).isTrue();
            assertThat(snapshot.errors()).isEmpty();
            assertThat(snapshot.driverVersion()).isEqualTo("550.54.15");
            assertThat(snapshot.cudaVersion()).isEqualTo("12.4");
            assertThat(snapshot.devices())
                    .extracting(GpuReading::index, GpuReading::uuid, GpuReading::name)
                    .containsExactly(
                            tuple(0, "GPU-aaaa-0001", "NVIDIA A100-SXM4-80GB"), tuple(1, "GPU-bbbb-0002", "NVIDIA L4"));
            GpuReading first = snapshot.devices().get(0);
            assertThat(first.memoryTotalBytes()).isEqualTo(80 * GIB);
            assertThat(first.memoryFreeBytes()).isEqualTo(60 * GIB);
            assertThat(first.memoryUsedBytes()).isEqualTo(20 * GIB);
            assertThat(first.gpuUtilizationPercent()).isEqualTo(37);
            assertThat(first.memoryUtilizationPercent()).isEqualTo(12);
            assertThat(first.temperatureCelsius()).isEqualTo(54);
            assertThat(first.powerWatts()).isEqualTo(71.25);
        }
    }

    @Test
    void decodesNonAsciiNamesAsUtf8() throws Exception {
        String name = "NVIDIA GeForce RTX 4090 — Überprüft 测试";
        StandinNvml nvml = StandinNvml.in(dir).configure(StandinNvml.system(new Gpu("GPU-utf8", name, 24 * GIB, GIB)));
        try (NvmlGpuProbe probe = NvmlGpuProbe.open(nvml.library().toString())) {
            assertThat(probe.read().devices())
                    .singleElement()
                    .extracting(GpuReading::name)
                    .isEqualTo(name);
        }
    }

    @Test
    void aGpuFailingOneEssentialCallIsReportedAndDoesNotHideTheOthers() throws Exception {
        StandinNvml nvml = StandinNvml.in(dir)
                .configure(StandinNvml.system(
                        new Gpu("GPU-lost", "NVIDIA H100", 80 * GIB, 80 * GIB).with("fail.memory=15"),
                        new Gpu("GPU-fine", "NVIDIA H100", 80 * GIB, 70 * GIB),
                        new Gpu("GPU-nohandle", "NVIDIA H100", 80 * GIB, 80 * GIB).with("fail.handle=999")));
        try (NvmlGpuProbe probe = NvmlGpuProbe.open(nvml.library().toString())) {
            GpuSnapshot snapshot = probe.read();

            assertThat(snapshot.devices()).extracting(GpuReading::uuid).containsExactly("GPU-fine");
            assertThat(snapshot.errors()).hasSize(2);
            GpuSnapshot.DeviceError lost = snapshot.errors().get(0);
            assertThat(lost.index()).isZero();
            assertThat(lost.function()).isEqualTo("nvmlDeviceGetMemoryInfo");
            assertThat(lost.code()).isEqualTo(15);
            assertThat(lost.message()).contains("NVML_ERROR_GPU_IS_LOST (15)", "fallen off the bus");
            GpuSnapshot.DeviceError unknown = snapshot.errors().get(1);
            assertThat(unknown.index()).isEqualTo(2);
            assertThat(unknown.function()).isEqualTo("nvmlDeviceGetHandleByIndex_v2");
            assertThat(unknown.message()).contains("NVML_ERROR_UNKNOWN (999)");
        }
    }

    @Test
    void unsupportedOptionalReadingsAreEmptyWithoutAnErrorOtherFailuresAreListed() throws Exception {
        StandinNvml nvml = StandinNvml.in(dir)
                .configure(StandinNvml.system(new Gpu("GPU-consumer", "NVIDIA GeForce GTX 1080", 8 * GIB, 8 * GIB)
                        .with("fail.power=3", "fail.temperature=3", "fail.utilization=4")));
        try (NvmlGpuProbe probe = NvmlGpuProbe.open(nvml.library().toString())) {
            GpuSnapshot snapshot = probe.read();

            GpuReading gpu = snapshot.devices().get(0);
            assertThat(gpu.powerWatts()).isNull();
            assertThat(gpu.temperatureCelsius()).isNull();
            assertThat(gpu.gpuUtilizationPercent()).isNull();
            assertThat(gpu.memoryTotalBytes()).isEqualTo(8 * GIB);
            assertThat(snapshot.errors()).singleElement().satisfies(e -> {
                assertThat(e.function()).isEqualTo("nvmlDeviceGetUtilizationRates");
                assertThat(e.message()).contains("NVML_ERROR_NO_PERMISSION (4)");
            });
        }
    }

    @Test
    void listsComputeProcessesBeyondTheFirstBufferAndMarksUnknownMemory() throws Exception {
        StringBuilder processes = new StringBuilder("processes=4242:1073741824,4243:na");
        for (int pid = 5000; pid < 5020; pid++) {
            processes.append(',').append(pid).append(':').append(pid);
        }
        StandinNvml nvml = StandinNvml.in(dir)
                .configure(StandinNvml.system(
                        new Gpu("GPU-busy", "NVIDIA A10", 23 * GIB, 10 * GIB).with(processes.toString())));
        try (NvmlGpuProbe probe = NvmlGpuProbe.open(nvml.library().toString())) {
            List<GpuReading.Process> listed = probe.read().devices().get(0).processes();

            assertThat(listed).hasSize(22);
            assertThat(listed.get(0)).isEqualTo(new GpuReading.Process(4242, 1L << 30));
            assertThat(listed.get(1)).isEqualTo(new GpuReading.Process(4243, null));
            assertThat(listed.get(21)).isEqualTo(new GpuReading.Process(5019, 5019L));
        }
    }

    @Test
    void followsGpusAppearingAndDisappearingBetweenReads() throws Exception {
        StandinNvml nvml =
                StandinNvml.in(dir).configure(StandinNvml.system(new Gpu("GPU-1", "NVIDIA T4", 15 * GIB, GIB)));
        try (NvmlGpuProbe probe = NvmlGpuProbe.open(nvml.library().toString())) {
            assertThat(probe.read().devices()).hasSize(1);
            nvml.configure(StandinNvml.system());
            assertThat(probe.read().devices()).isEmpty();
        }
    }

    @Test
    void aMissingLibraryIsReportedAsLibraryNotFound() {
        String missing = dir.resolve("no-such-libnvidia-ml.so.1").toString();

        assertThatThrownBy(() -> NvmlGpuProbe.open(missing)).isInstanceOfSatisfying(NvmlException.class, e -> {
            assertThat(e.is(NvmlReturn.LIBRARY_NOT_FOUND)).isTrue();
            assertThat(e.getMessage()).contains("cannot load " + missing);
        });
    }

    @Test
    void aLibraryThatIsNotNvmlIsReportedAsFunctionNotFound() {
        assertThatThrownBy(() -> NvmlGpuProbe.open("libc.so.6")).isInstanceOfSatisfying(NvmlException.class, e -> {
            assertThat(e.is(NvmlReturn.FUNCTION_NOT_FOUND)).isTrue();
            assertThat(e.getMessage()).contains("is not an NVML library");
        });
    }

    @Test
    void aDriverThatIsNotLoadedFailsInitWithItsCode() {
        StandinNvml nvml = StandinNvml.in(dir).configure(List.of("init=9"));

        assertThatThrownBy(() -> NvmlGpuProbe.open(nvml.library().toString()))
                .isInstanceOfSatisfying(NvmlException.class, e -> {
                    assertThat(e.function()).isEqualTo("nvmlInit_v2");
                    assertThat(e.getMessage()).contains("NVML_ERROR_DRIVER_NOT_LOADED (9)");
                });
    }

    @Test
    void aClosedProbeReadsNothing() throws Exception {
        StandinNvml nvml =
                StandinNvml.in(dir).configure(StandinNvml.system(new Gpu("GPU-1", "NVIDIA T4", 15 * GIB, GIB)));
        NvmlGpuProbe probe = NvmlGpuProbe.open(nvml.library().toString());
        probe.close();
        probe.close();

        assertThat(probe.read().available()).isFalse();
    }

    @Test
    void describesCodesItKnowsAndOnesFromNewerDrivers() {
        assertThat(NvmlReturn.describe(28, "ignored")).isEqualTo("NVML_ERROR_GPU_NOT_FOUND (28): no GPUs were found");
        assertThat(NvmlReturn.describe(4711, "Brand New Error")).isEqualTo("NVML error 4711: Brand New Error");
        assertThat(NvmlGpuProbe.formatCudaVersion(12040)).isEqualTo("12.4");
        assertThat(NvmlGpuProbe.formatCudaVersion(11080)).isEqualTo("11.8");
    }
}
