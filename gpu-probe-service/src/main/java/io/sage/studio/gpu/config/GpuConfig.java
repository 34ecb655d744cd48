package io.sage.studio.gpu.config;

import java.time.Duration;
import java.util.Optional;

import io.sage.studio.common.config.Range;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Settings of the gpu-probe-service ({@code studio.gpu.*}); every key can be set by its environment variable. */
@ConfigMapping(prefix = "studio.gpu")
public interface GpuConfig {

    /** Which probe reads this node's GPUs: {@code nvml} (no-GPU mode when NVML cannot be loaded) or {@code none}. */
    @WithDefault("nvml")
    ProbeKind probe();

    /** The NVML library: a name the dynamic linker resolves, or an absolute path ({@code STUDIO_GPU_NVML_LIBRARY}). */
    @WithDefault("libnvidia-ml.so.1")
    String nvmlLibrary();

    /** How often this node's GPUs are read and published to {@code studio.gpu.telemetry} (at least 100ms). */
    @WithDefault("5s")
    Duration telemetryInterval();

    /** Whether this replica publishes its GPU readings; off for a replica that only answers for the cluster. */
    @WithDefault("true")
    boolean publishTelemetry();

    /** A reading older than this many of its own intervals is left out: its node stopped reporting. */
    @WithDefault("3")
    @Range(min = 1, max = 1000)
    int staleAfterIntervals();

    /** This node's name in telemetry keys; unset: {@code NODE_NAME} (Kubernetes downward API), else the host name. */
    Optional<String> nodeName();

    /** Which probe implementation reads the GPUs. */
    enum ProbeKind {
        /** The driver's NVML through JNA. */
        NVML,
        /** No GPU access: the service only aggregates other nodes' telemetry and estimates memory. */
        NONE
    }
}
