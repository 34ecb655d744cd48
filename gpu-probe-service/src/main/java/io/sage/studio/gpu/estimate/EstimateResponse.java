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
 * @param parallelism the layout every byte count, fit and the recommendation above are per GPU of: {@code none}
 *        on one GPU, else the requested one, or for {@code auto} {@code recommended} (when nothing fits: ddp for
 *        LoRA/QLoRA, fsdp for full fine-tuning)
 * @param worldSize {@code nodes × gpus}
 * @param layouts every layout for this many GPUs, per GPU: {@code none} alone on one GPU, else ddp and fsdp
 * @param recommended the cheapest layout that fits (ddp before fsdp: less traffic per step), or {@code null}
 *        when none fits or there is no GPU to size for
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
        @Schema(required = true) List<String> notes,
        @Schema(required = true) Parallelism parallelism,
        @Schema(required = true) int worldSize,
        @Schema(required = true) List<LayoutFit> layouts,
        Parallelism recommended) {

    /**
     * One layout's expected peak on each of its GPUs.
     *
     * @param fits whether it fits the smallest GPU the task would use (see {@code notes}); {@code null} when
     *        there is no GPU to size for (no telemetry and neither {@code gpu_memory_bytes} nor a GPU given)
     */
    @Schema(name = "LayoutEstimate")
    public record LayoutFit(
            @Schema(required = true) Parallelism parallelism,
            @Schema(required = true) long perGpuBytes,
            @Schema(required = true) long perGpuHighBytes,
            Boolean fits) {}

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
