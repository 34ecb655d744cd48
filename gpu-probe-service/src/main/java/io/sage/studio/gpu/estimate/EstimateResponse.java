package io.sage.studio.gpu.estimate;

import java.util.List;

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
        long params,
        long trainableParams,
        Method method,
        Precision precision,
        long lowBytes,
        long expectedBytes,
        long highBytes,
        MemoryEstimate.Breakdown breakdown,
        List<Fit> fits,
        List<Device> devices,
        Recommendation recommendation,
        String formula,
        List<String> notes) {

    /**
     * @param fits the expected peak fits
     * @param fitsWorstCase the high bound fits too
     * @param headroomBytes memory left at the expected peak (negative: missing)
     * @param node {@code null} for a well-known GPU
     */
    public record Fit(String gpu, long memoryBytes, boolean fits, boolean fitsWorstCase, long headroomBytes,
            String node, String uuid) {
    }

    /** A GPU seen in telemetry and whether the run fits its free memory now. */
    public record Device(String node, String uuid, int index, String name, long memoryTotalBytes,
            long memoryFreeBytes, boolean fits, long headroomBytes) {
    }
}
