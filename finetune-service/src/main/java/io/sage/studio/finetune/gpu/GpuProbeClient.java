package io.sage.studio.finetune.gpu;

import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;

import org.eclipse.microprofile.rest.client.annotation.RegisterClientHeaders;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

import io.sage.studio.common.auth.StudioClientHeaders;

/**
 * The gpu-probe-service's estimator ({@code quarkus.rest-client.gpu-probe.url}); used through {@link GpuProbeEstimates}.
 * Carries the caller's credentials (or the service token) like every call between studio services.
 */
@RegisterRestClient(configKey = "gpu-probe")
@RegisterClientHeaders(StudioClientHeaders.class)
@Path("/api/system")
interface GpuProbeClient {

    @POST
    @Path("/memory-estimate")
    GpuProbeEstimate estimate(GpuProbeEstimateRequest request);
}
