package io.sage.studio.gpu.estimate;

/**
 * Settings to use on one GPU (or memory budget) and why.
 *
 * @param target what was sized for, e.g. {@code "NVIDIA A10 24GB"}
 * @param fits whether these settings fit; false when nothing does
 * @param expectedBytes the estimate for these settings
 */
public record Recommendation(
        String target,
        long targetMemoryBytes,
        Boolean fits,
        Method method,
        int batchSize,
        int gradientAccumulationSteps,
        int maxLength,
        boolean gradientCheckpointing,
        Long expectedBytes,
        Long highBytes,
        String reason) {

    static Recommendation of(
            TrainingSetup setup, MemoryEstimate estimate, String target, long budget, boolean fits, String reason) {
        return new Recommendation(
                target,
                budget,
                fits,
                setup.method(),
                setup.batchSize(),
                setup.gradientAccumulationSteps(),
                setup.maxLength(),
                setup.gradientCheckpointing(),
                estimate.expectedBytes(),
                estimate.highBytes(),
                reason);
    }
}
