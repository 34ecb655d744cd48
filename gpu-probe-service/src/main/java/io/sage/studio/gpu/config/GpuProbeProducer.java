package io.sage.studio.gpu.config;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.sage.studio.gpu.nvml.NvmlException;
import io.sage.studio.gpu.nvml.NvmlGpuProbe;
import io.sage.studio.gpu.probe.GpuProbe;
import io.sage.studio.gpu.probe.NoGpuProbe;

/** Chooses the {@link GpuProbe} from {@code studio.gpu.probe}; NVML that cannot start means no-GPU mode, not a failure. */
@ApplicationScoped
public class GpuProbeProducer {

    private static final Logger LOG = Logger.getLogger(GpuProbeProducer.class);

    @Produces
    @Singleton
    GpuProbe probe(GpuConfig config) {
        if (config.probe() == GpuConfig.ProbeKind.NONE) {
            return new NoGpuProbe("the GPU probe is turned off (studio.gpu.probe=none)");
        }
        try {
            NvmlGpuProbe probe = NvmlGpuProbe.open(config.nvmlLibrary());
            LOG.infof(
                    "NVML ready through %s: driver %s, CUDA %s",
                    config.nvmlLibrary(), probe.driverVersion(), probe.cudaVersion());
            return probe;
        } catch (NvmlException e) {
            String reason = "no usable NVIDIA driver on this node: " + e.getMessage();
            LOG.infof("no-GPU mode: %s", reason);
            return new NoGpuProbe(reason);
        }
    }

    void close(@Disposes GpuProbe probe) {
        probe.close();
    }
}
