package io.sage.studio.finetune.gpu;

import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;

import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

/** The gpu-probe-service's estimator ({@code quarkus.rest-client.gpu-probe.url}); used through {@link MemoryEstimator}. */
@RegisterRestClient(configKey = "gpu-probe")
@Path("/api/system")
interface GpuProbeClient {

    @POST
    @Path("/memory-estimate")
    MemoryEstimate estimate(EstimateRequest request);
}
