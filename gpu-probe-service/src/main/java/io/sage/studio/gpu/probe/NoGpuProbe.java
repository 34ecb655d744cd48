package io.sage.studio.gpu.probe;

/** The probe of a node without a usable NVIDIA driver, or with the probe turned off: no GPUs, and why. */
public final class NoGpuProbe implements GpuProbe {

    private final GpuSnapshot snapshot;

    public NoGpuProbe(String reason) {
        this.snapshot = GpuSnapshot.unavailable(reason);
    }

    @Override
    public GpuSnapshot read() {
        return snapshot;
    }

    @Override
    public void close() {
        // Nothing was opened.
    }
}
