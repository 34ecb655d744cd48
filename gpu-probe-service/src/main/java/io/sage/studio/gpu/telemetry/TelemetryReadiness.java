package io.sage.studio.gpu.telemetry;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import io.sage.studio.gpu.probe.GpuSnapshot;

/**
 * Ready once the telemetry view has read the topic up to its end at start-up, so that {@code gpu-info} answers
 * for the whole cluster. No GPU is not a failure: the probe's state is reported as data.
 */
@Readiness
@ApplicationScoped
public class TelemetryReadiness implements HealthCheck {

    private final ClusterGpus cluster;
    private final LocalGpus local;

    public TelemetryReadiness(ClusterGpus cluster, LocalGpus local) {
        this.cluster = cluster;
        this.local = local;
    }

    @Override
    public HealthCheckResponse call() {
        GpuSnapshot snapshot = local.latest().snapshot();
        return HealthCheckResponse.named("GPU telemetry")
                .status(cluster.caughtUp())
                .withData("node", local.node())
                .withData("view_caught_up", cluster.caughtUp())
                .withData("local_gpus", snapshot.devices().size())
                .withData("nvml_available", snapshot.available())
                .withData("reason", snapshot.reason() == null ? "" : snapshot.reason())
                .build();
    }
}
