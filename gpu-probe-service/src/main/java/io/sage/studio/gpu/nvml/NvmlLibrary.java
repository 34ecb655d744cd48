package io.sage.studio.gpu.nvml;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * The NVML functions the probe calls, with the signatures of {@code nvml.h} (every function returns an
 * {@code nvmlReturn_t}; {@code unsigned int} maps to {@code int}, {@code nvmlDevice_t} to a pointer).
 * Strings are read into byte buffers and decoded as UTF-8 by the caller, never by JNA's platform encoding.
 */
interface NvmlLibrary extends Library {

    /** {@code NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE}. */
    int DRIVER_VERSION_BUFFER_SIZE = 80;
    /** {@code NVML_DEVICE_UUID_V2_BUFFER_SIZE}. */
    int UUID_BUFFER_SIZE = 96;
    /** {@code NVML_DEVICE_NAME_V2_BUFFER_SIZE}. */
    int NAME_BUFFER_SIZE = 96;
    /** {@code NVML_TEMPERATURE_GPU}: the GPU die sensor. */
    int TEMPERATURE_GPU = 0;
    /** {@code NVML_VALUE_NOT_AVAILABLE}: e.g. a process's memory when the PID namespace hides it. */
    long VALUE_NOT_AVAILABLE = -1L;

    int nvmlInit_v2();

    int nvmlShutdown();

    /** A static, NUL-terminated description of a return code; never freed. */
    Pointer nvmlErrorString(int result);

    int nvmlSystemGetDriverVersion(byte[] version, int length);

    int nvmlSystemGetCudaDriverVersion_v2(IntByReference cudaDriverVersion);

    /** The pre-{@code _v2} name, for drivers that do not export {@code _v2}. */
    int nvmlSystemGetCudaDriverVersion(IntByReference cudaDriverVersion);

    int nvmlDeviceGetCount_v2(IntByReference deviceCount);

    int nvmlDeviceGetHandleByIndex_v2(int index, PointerByReference device);

    int nvmlDeviceGetUUID(Pointer device, byte[] uuid, int length);

    int nvmlDeviceGetName(Pointer device, byte[] name, int length);

    int nvmlDeviceGetMemoryInfo(Pointer device, Memory memory);

    int nvmlDeviceGetUtilizationRates(Pointer device, Utilization utilization);

    int nvmlDeviceGetTemperature(Pointer device, int sensorType, IntByReference temp);

    /** Milliwatts. */
    int nvmlDeviceGetPowerUsage(Pointer device, IntByReference power);

    /**
     * Two-call protocol: with {@code infoCount} 0 and {@code infos} null it answers
     * {@code NVML_ERROR_INSUFFICIENT_SIZE} (or success when there are none) and the count needed.
     * {@code infos} is the first element of a contiguous array ({@link Structure#toArray(int)}).
     */
    int nvmlDeviceGetComputeRunningProcesses_v3(Pointer device, IntByReference infoCount, ProcessInfo infos);

    /** Same structure as {@code _v3}; exported by drivers from 470 on, before {@code _v3} existed. */
    int nvmlDeviceGetComputeRunningProcesses_v2(Pointer device, IntByReference infoCount, ProcessInfo infos);

    /** {@code nvmlMemory_t}: bytes. */
    @Structure.FieldOrder({"total", "free", "used"})
    class Memory extends Structure {
        public long total;
        public long free;
        public long used;
    }

    /** {@code nvmlUtilization_t}: percent over the driver's last sample period. */
    @Structure.FieldOrder({"gpu", "memory"})
    class Utilization extends Structure {
        public int gpu;
        public int memory;
    }

    /** {@code nvmlProcessInfo_t} (= {@code nvmlProcessInfo_v2_t}). */
    @Structure.FieldOrder({"pid", "usedGpuMemory", "gpuInstanceId", "computeInstanceId"})
    class ProcessInfo extends Structure {
        public int pid;
        public long usedGpuMemory;
        public int gpuInstanceId;
        public int computeInstanceId;
    }
}
