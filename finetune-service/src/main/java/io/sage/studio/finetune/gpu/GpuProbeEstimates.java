package io.sage.studio.finetune.gpu;

import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.faulttolerance.Fallback;
import org.eclipse.microprofile.faulttolerance.Timeout;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.logging.Logger;

/**
 * Memory estimates from the gpu-probe-service, bounded in time: when it is down, slow or answers an error the
 * result is empty and the caller goes on without it.
 */
@ApplicationScoped
public class GpuProbeEstimates {

    private static final Logger LOG = Logger.getLogger(GpuProbeEstimates.class);

    private final GpuProbeClient client;

    public GpuProbeEstimates(@RestClient GpuProbeClient client) {
        this.client = client;
    }

    @Timeout(3000)
    @Fallback(fallbackMethod = "unavailable")
    public Optional<GpuProbeEstimate> estimate(GpuProbeEstimateRequest request) {
        return Optional.of(client.estimate(request));
    }

    Optional<GpuProbeEstimate> unavailable(GpuProbeEstimateRequest request, Throwable cause) {
        LOG.debugf("memory estimate for %s unavailable: %s", request.model(), cause.toString());
        return Optional.empty();
    }
}
