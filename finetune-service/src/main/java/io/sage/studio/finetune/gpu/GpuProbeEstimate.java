package io.sage.studio.finetune.gpu;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * gpu-probe's memory estimate for a training configuration (bytes of GPU memory, per GPU of {@code parallelism}).
 *
 * @param parallelism the layout the byte counts are for: {@code none}, {@code ddp} or {@code fsdp}
 * @param layouts each layout for the task's GPUs with its per-GPU peak and whether it fits the smallest GPU the task
 *     would use ({@code null}: gpu-probe had no GPU to size for)
 * @param recommended the cheapest layout that fits, or {@code null} when none does or nothing was sized; absent from
 *     a gpu-probe older than issue 21
 */
public record GpuProbeEstimate(
        long lowBytes,
        long expectedBytes,
        long highBytes,
        JsonNode breakdown,
        JsonNode fits,
        JsonNode recommendation,
        String parallelism,
        List<Layout> layouts,
        String recommended) {

    /** One layout's expected (and high) peak on each of its GPUs. */
    public record Layout(String parallelism, long perGpuBytes, long perGpuHighBytes, Boolean fits) {}

    public GpuProbeEstimate {
        layouts = layouts == null ? List.of() : List.copyOf(layouts);
    }

    /** Whether gpu-probe sized every layout and none fits: the task can never run in this shape on these GPUs. */
    public boolean fitsNoLayout() {
        return !layouts.isEmpty() && layouts.stream().allMatch(l -> Boolean.FALSE.equals(l.fits()));
    }
}
