package io.sage.studio.gpu.probe;

/**
 * Reads the GPUs of this node. {@code NvmlGpuProbe} talks to the driver through NVML; {@link NoGpuProbe}
 * stands in where there is no driver (or the probe is turned off), so the service still runs and says why.
 */
public interface GpuProbe extends AutoCloseable {

    /**
     * Reads every GPU now. Never throws: a GPU that cannot be read is listed in
     * {@link GpuSnapshot#errors()} and does not hide the others.
     */
    GpuSnapshot read();

    /** Releases the native library; {@link #read()} must not be called afterwards. */
    @Override
    void close();
}
