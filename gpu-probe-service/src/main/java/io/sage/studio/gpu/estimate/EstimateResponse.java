package io.sage.studio.gpu.estimate;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The answer of {@code POST /api/system/memory-estimate}.
 *
 * @param source where the architecture came from: {@code catalog}, {@code config} (a {@code config.json}) or
 *        {@code request}
 * @param precision the precision estimated for ({@code auto} resolved)
 * @param fits the well-known GPUs (by total memory) and the GPUs seen in telemetry (by free memory)
 * @param devices the GPUs seen in telemetry, with their free memory
 * @param notes assumptions and warnings worth showing
 */
public record EstimateResponse(
        String model,
        String source,
        @Schema(required = true) long params,
        @Schema(required = true) long trainableParams,
        Method method,
        Precision precision,
        @Schema(required = true) long lowBytes,
        @Schema(required = true) long expectedBytes,
        @Schema(required = true) long highBytes,
        MemoryEstimate.Breakdown breakdown,
        @Schema(required = true) List<Fit> fits,
        @Schema(required = true) List<Device> devices,
        Recommendation recommendation,
        String formula,
        @Schema(required = true) List<String> notes) {

    /**
     * @param fits the expected peak fits
     * @param fitsWorstCase the high bound fits too
     * @param headroomBytes memory left at the expected peak (negative: missing)
     * @param node {@code null} for a well-known GPU
     */
    @Schema(name = "GpuFit")
    public record Fit(
            @Schema(required = true) String gpu,
            @Schema(required = true) long memoryBytes,
            @Schema(required = true) boolean fits,
            @Schema(required = true) boolean fitsWorstCase,
            @Schema(required = true) long headroomBytes,
            String node,
            String uuid) {}

    /** A GPU seen in telemetry and whether the run fits its free memory now. */
    @Schema(name = "EstimateDevice")
    public record Device(
            String node,
            String uuid,
            @Schema(required = true) int index,
            @Schema(required = true) String name,
            @Schema(required = true) long memoryTotalBytes,
            @Schema(required = true) long memoryFreeBytes,
            @Schema(required = true) boolean fits,
            @Schema(required = true) long headroomBytes) {}
}
