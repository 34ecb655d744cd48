package io.sage.studio.gpu.nvml;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.jboss.logging.Logger;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

import io.sage.studio.gpu.probe.GpuProbe;
import io.sage.studio.gpu.probe.GpuReading;
import io.sage.studio.gpu.probe.GpuSnapshot;
import io.sage.studio.gpu.probe.GpuSnapshot.DeviceError;

/**
 * Reads the GPUs through the driver's NVML library (JNA, no native code of ours). One instance owns one
 * {@code nvmlInit_v2}/{@code nvmlShutdown} pair; reads are serialised.
 *
 * <p>A GPU whose handle, UUID or memory cannot be read is reported as an error and skipped; a GPU that only
 * lacks an optional measurement (name, utilisation, temperature, power, processes) is reported with that
 * field empty ({@code NVML_ERROR_NOT_SUPPORTED} is expected there and not an error).
 */
public final class NvmlGpuProbe implements GpuProbe {

    private static final Logger LOG = Logger.getLogger(NvmlGpuProbe.class);
    private static final int SUCCESS = NvmlReturn.SUCCESS.code();
    /** Room for processes that start between the two calls of the process-list protocol. */
    private static final int PROCESS_SLACK = 8;

    private final NvmlLibrary nvml;
    private final String driverVersion;
    private final String cudaVersion;
    private boolean processesV2Only;
    private boolean closed;

    private NvmlGpuProbe(NvmlLibrary nvml) throws NvmlException {
        this.nvml = nvml;
        this.driverVersion = readString(
                "nvmlSystemGetDriverVersion",
                (buffer, length) -> nvml.nvmlSystemGetDriverVersion(buffer, length),
                NvmlLibrary.DRIVER_VERSION_BUFFER_SIZE);
        this.cudaVersion = cudaVersion(nvml);
    }

    /**
     * Loads {@code library} (a name the dynamic linker resolves, or a path) and initialises NVML.
     *
     * @throws NvmlException when the library cannot be loaded ({@code NVML_ERROR_LIBRARY_NOT_FOUND}), is not
     *         NVML ({@code NVML_ERROR_FUNCTION_NOT_FOUND}), or NVML does not start (its own code)
     */
    public static NvmlGpuProbe open(String library) throws NvmlException {
        NvmlLibrary nvml;
        try {
            nvml = Native.load(library, NvmlLibrary.class);
        } catch (UnsatisfiedLinkError e) {
            throw new NvmlException(
                    "dlopen",
                    NvmlReturn.LIBRARY_NOT_FOUND.code(),
                    "cannot load " + library + " (" + summary(e.getMessage()) + ")");
        }
        int rc;
        try {
            rc = nvml.nvmlInit_v2();
        } catch (UnsatisfiedLinkError e) {
            throw new NvmlException(
                    "nvmlInit_v2",
                    NvmlReturn.FUNCTION_NOT_FOUND.code(),
                    library + " is not an NVML library (" + summary(e.getMessage()) + ")");
        }
        if (rc != SUCCESS) {
            throw failure(nvml, "nvmlInit_v2", rc);
        }
        try {
            return new NvmlGpuProbe(nvml);
        } catch (NvmlException e) {
            nvml.nvmlShutdown();
            throw e;
        } catch (UnsatisfiedLinkError e) {
            nvml.nvmlShutdown();
            throw new NvmlException(
                    "nvmlSystemGetCudaDriverVersion", NvmlReturn.FUNCTION_NOT_FOUND.code(), summary(e.getMessage()));
        }
    }

    public String driverVersion() {
        return driverVersion;
    }

    public String cudaVersion() {
        return cudaVersion;
    }

    @Override
    public synchronized GpuSnapshot read() {
        if (closed) {
            return GpuSnapshot.unavailable("NVML was shut down");
        }
        int count;
        try {
            IntByReference ref = new IntByReference();
            check("nvmlDeviceGetCount_v2", nvml.nvmlDeviceGetCount_v2(ref));
            count = ref.getValue();
        } catch (NvmlException e) {
            return new GpuSnapshot(
                    false,
                    e.getMessage(),
                    driverVersion,
                    cudaVersion,
                    List.of(),
                    List.of(new DeviceError(-1, e.function(), e.code(), e.getMessage())));
        }
        List<GpuReading> devices = new ArrayList<>(count);
        List<DeviceError> errors = new ArrayList<>();
        for (int index = 0; index < count; index++) {
            try {
                devices.add(readDevice(index, errors));
            } catch (NvmlException e) {
                errors.add(new DeviceError(index, e.function(), e.code(), e.getMessage()));
            }
        }
        return new GpuSnapshot(true, null, driverVersion, cudaVersion, devices, errors);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            int rc = nvml.nvmlShutdown();
            if (rc != SUCCESS) {
                LOG.warnf("nvmlShutdown: %s", message(nvml, rc));
            }
        }
    }

    private GpuReading readDevice(int index, List<DeviceError> errors) throws NvmlException {
        PointerByReference handleRef = new PointerByReference();
        check("nvmlDeviceGetHandleByIndex_v2", nvml.nvmlDeviceGetHandleByIndex_v2(index, handleRef));
        Pointer device = handleRef.getValue();
        String uuid = readString(
                "nvmlDeviceGetUUID",
                (buffer, length) -> nvml.nvmlDeviceGetUUID(device, buffer, length),
                NvmlLibrary.UUID_BUFFER_SIZE);
        NvmlLibrary.Memory memory = new NvmlLibrary.Memory();
        check("nvmlDeviceGetMemoryInfo", nvml.nvmlDeviceGetMemoryInfo(device, memory));

        OptionalReadings optional = new OptionalReadings(index, errors);
        String name = optional.get(() -> readString(
                "nvmlDeviceGetName",
                (buffer, length) -> nvml.nvmlDeviceGetName(device, buffer, length),
                NvmlLibrary.NAME_BUFFER_SIZE));
        NvmlLibrary.Utilization utilization = optional.get(() -> {
            NvmlLibrary.Utilization u = new NvmlLibrary.Utilization();
            check("nvmlDeviceGetUtilizationRates", nvml.nvmlDeviceGetUtilizationRates(device, u));
            return u;
        });
        Integer temperature = optional.get(() -> {
            IntByReference t = new IntByReference();
            check("nvmlDeviceGetTemperature", nvml.nvmlDeviceGetTemperature(device, NvmlLibrary.TEMPERATURE_GPU, t));
            return t.getValue();
        });
        Double power = optional.get(() -> {
            IntByReference milliwatts = new IntByReference();
            check("nvmlDeviceGetPowerUsage", nvml.nvmlDeviceGetPowerUsage(device, milliwatts));
            return Integer.toUnsignedLong(milliwatts.getValue()) / 1000.0;
        });
        List<GpuReading.Process> processes = optional.get(() -> processes(device));
        return new GpuReading(
                index,
                uuid,
                name,
                memory.total,
                memory.free,
                memory.used,
                utilization == null ? null : utilization.gpu,
                utilization == null ? null : utilization.memory,
                temperature,
                power,
                processes == null ? List.of() : processes);
    }

    private List<GpuReading.Process> processes(Pointer device) throws NvmlException {
        IntByReference count = new IntByReference(0);
        int rc = computeProcesses(device, count, null);
        for (int attempt = 0; attempt < 3 && rc == NvmlReturn.INSUFFICIENT_SIZE.code(); attempt++) {
            int capacity = count.getValue() + PROCESS_SLACK;
            NvmlLibrary.ProcessInfo[] infos =
                    (NvmlLibrary.ProcessInfo[]) new NvmlLibrary.ProcessInfo().toArray(capacity);
            count.setValue(capacity);
            rc = computeProcesses(device, count, infos[0]);
            if (rc == SUCCESS) {
                List<GpuReading.Process> processes = new ArrayList<>(count.getValue());
                for (int i = 0; i < count.getValue(); i++) {
                    infos[i].read();
                    long used = infos[i].usedGpuMemory;
                    processes.add(new GpuReading.Process(
                            Integer.toUnsignedLong(infos[i].pid),
                            used == NvmlLibrary.VALUE_NOT_AVAILABLE ? null : used));
                }
                return processes;
            }
        }
        check(processesFunction(), rc);
        return List.of();
    }

    private int computeProcesses(Pointer device, IntByReference count, NvmlLibrary.ProcessInfo infos) {
        if (!processesV2Only) {
            try {
                return nvml.nvmlDeviceGetComputeRunningProcesses_v3(device, count, infos);
            } catch (UnsatisfiedLinkError e) {
                processesV2Only = true;
            }
        }
        return nvml.nvmlDeviceGetComputeRunningProcesses_v2(device, count, infos);
    }

    private String processesFunction() {
        return processesV2Only ? "nvmlDeviceGetComputeRunningProcesses_v2" : "nvmlDeviceGetComputeRunningProcesses_v3";
    }

    private String readString(String function, StringCall call, int size) throws NvmlException {
        byte[] buffer = new byte[size];
        check(function, call.into(buffer, size));
        return decode(buffer);
    }

    /** NVML strings are NUL-terminated UTF-8 (device names may hold non-ASCII characters). */
    static String decode(byte[] buffer) {
        int length = 0;
        while (length < buffer.length && buffer[length] != 0) {
            length++;
        }
        return new String(buffer, 0, length, StandardCharsets.UTF_8).strip();
    }

    /** {@code 12040} → {@code 12.4}, as {@code nvidia-smi} prints it. */
    static String formatCudaVersion(int version) {
        return String.format(Locale.ROOT, "%d.%d", version / 1000, (version % 1000) / 10);
    }

    private static String cudaVersion(NvmlLibrary nvml) {
        IntByReference version = new IntByReference();
        int rc;
        try {
            rc = nvml.nvmlSystemGetCudaDriverVersion_v2(version);
        } catch (UnsatisfiedLinkError e) {
            rc = nvml.nvmlSystemGetCudaDriverVersion(version);
        }
        return rc == SUCCESS && version.getValue() > 0 ? formatCudaVersion(version.getValue()) : null;
    }

    private void check(String function, int rc) throws NvmlException {
        if (rc != SUCCESS) {
            throw failure(nvml, function, rc);
        }
    }

    private static NvmlException failure(NvmlLibrary nvml, String function, int rc) {
        return new NvmlException(function, rc, message(nvml, rc));
    }

    private static String message(NvmlLibrary nvml, int rc) {
        String own = null;
        try {
            Pointer text = nvml.nvmlErrorString(rc);
            own = text == null ? null : text.getString(0, StandardCharsets.UTF_8.name());
        } catch (UnsatisfiedLinkError e) {
            // A library without nvmlErrorString: the table below still names the code.
        }
        return NvmlReturn.describe(rc, own);
    }

    /** JNA's link errors span several lines (one per path tried); the first two say what failed and why. */
    private static String summary(String message) {
        if (message == null || message.isBlank()) {
            return "no detail";
        }
        return message.lines()
                .map(String::strip)
                .filter(line -> !line.isEmpty())
                .limit(2)
                .reduce((first, second) -> first.endsWith(":") ? first + " " + second : first)
                .orElse("no detail");
    }

    @FunctionalInterface
    private interface StringCall {
        int into(byte[] buffer, int length);
    }

    @FunctionalInterface
    private interface Reading<T> {
        T read() throws NvmlException;
    }

    /** Optional measurements: not supported → empty; any other failure → empty and listed as an error. */
    private static final class OptionalReadings {
        private final int index;
        private final List<DeviceError> errors;

        OptionalReadings(int index, List<DeviceError> errors) {
            this.index = index;
            this.errors = errors;
        }

        <T> T get(Reading<T> reading) {
            try {
                return reading.read();
            } catch (NvmlException e) {
                if (!e.is(NvmlReturn.NOT_SUPPORTED)) {
                    errors.add(new DeviceError(index, e.function(), e.code(), e.getMessage()));
                }
                return null;
            }
        }
    }
}
