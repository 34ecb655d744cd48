package io.sage.studio.gpu.api;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;

import io.sage.studio.gpu.estimate.EstimateRequest;
import io.sage.studio.gpu.estimate.EstimateResponse;
import io.sage.studio.gpu.estimate.EstimateService;

/** {@code /api/system}: the cluster's GPUs and memory estimates. */
@Path("/api/system")
@Produces(MediaType.APPLICATION_JSON)
public class SystemResource {

    private final GpuInfoService gpuInfo;
    private final EstimateService estimates;

    public SystemResource(GpuInfoService gpuInfo, EstimateService estimates) {
        this.gpuInfo = gpuInfo;
        this.estimates = estimates;
    }

    @GET
    @Path("/gpu-info")
    @Operation(summary = "GPUs of every node reporting telemetry (or of one node), with a recommendation")
    public GpuInfo gpuInfo(@QueryParam("node") String node) {
        return gpuInfo.describe(node);
    }

    @POST
    @Path("/memory-estimate")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Peak GPU memory of a fine-tuning run, which GPUs it fits, and settings that fit")
    public EstimateResponse memoryEstimate(EstimateRequest request) {
        return estimates.estimate(request);
    }
}
