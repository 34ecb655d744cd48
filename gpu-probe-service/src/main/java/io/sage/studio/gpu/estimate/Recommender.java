package io.sage.studio.gpu.estimate;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Finds settings that fit a memory budget, changing as little as possible, in this order: a smaller
 * micro-batch with more gradient accumulation (same effective batch, same result), gradient checkpointing
 * (same result, ~30% slower), a lighter method (full → LoRA → QLoRA), and last a shorter max length (long
 * samples get truncated). When the requested settings fit with room to spare, a larger micro-batch with
 * less accumulation is suggested instead (same effective batch, faster).
 *
 * <p>A setting "fits" when its high bound does; failing that, the expected value is accepted as a tight fit.
 */
public final class Recommender {

    /** Shortest max length the recommender proposes. */
    static final int MIN_LENGTH = 256;

    private final MemoryEstimator estimator;

    public Recommender(MemoryEstimator estimator) {
        this.estimator = estimator;
    }

    /**
     * @param target human name of the budget, e.g. {@code "NVIDIA A10 24GB"} or {@code "node-a GPU 0 (free memory)"}
     */
    public Recommendation recommend(
            ModelArchitecture arch, long params, TrainingSetup requested, String target, long budgetBytes) {
        MemoryEstimate asRequested = estimator.estimate(arch, params, requested);
        if (asRequested.highBytes() <= budgetBytes) {
            TrainingSetup best = larger(arch, params, requested, budgetBytes);
            String reason = best.equals(requested)
                    ? String.format(
                            Locale.ROOT,
                            "fits %s as requested: %s expected of %s",
                            target,
                            gib(asRequested.expectedBytes()),
                            gib(budgetBytes))
                    : String.format(
                            Locale.ROOT,
                            "fits %s with room to spare: micro-batch %d x %d accumulation steps "
                                    + "keeps the effective batch of %d and trains faster",
                            target,
                            best.batchSize(),
                            best.gradientAccumulationSteps(),
                            requested.effectiveBatch());
            return Recommendation.of(best, estimator.estimate(arch, params, best), target, budgetBytes, true, reason);
        }
        for (boolean strict : new boolean[] {true, false}) {
            for (TrainingSetup candidate : candidates(requested)) {
                MemoryEstimate estimate = estimator.estimate(arch, params, candidate);
                long needed = strict ? estimate.highBytes() : estimate.expectedBytes();
                if (needed <= budgetBytes) {
                    return Recommendation.of(
                            candidate,
                            estimate,
                            target,
                            budgetBytes,
                            true,
                            explain(requested, candidate, target, strict));
                }
            }
        }
        TrainingSetup smallest = smallest(requested);
        MemoryEstimate estimate = estimator.estimate(arch, params, smallest);
        return Recommendation.of(
                smallest,
                estimate,
                target,
                budgetBytes,
                false,
                String.format(
                        Locale.ROOT,
                        "does not fit %s (%s): even %s with micro-batch 1, max length %d and gradient checkpointing needs %s;"
                                + " choose a smaller model or a larger GPU",
                        target,
                        gib(budgetBytes),
                        smallest.method().id(),
                        smallest.maxLength(),
                        gib(estimate.expectedBytes())));
    }

    /** Doubles the micro-batch while halving the accumulation, as long as it fits. */
    private TrainingSetup larger(ModelArchitecture arch, long params, TrainingSetup setup, long budget) {
        TrainingSetup best = setup;
        while (best.gradientAccumulationSteps() > 1 && best.gradientAccumulationSteps() % 2 == 0) {
            TrainingSetup bigger = best.withBatch(best.batchSize() * 2, best.gradientAccumulationSteps() / 2);
            if (estimator.estimate(arch, params, bigger).highBytes() > budget) {
                break;
            }
            best = bigger;
        }
        return best;
    }

    /** Candidate settings, least intrusive first. */
    static List<TrainingSetup> candidates(TrainingSetup requested) {
        List<TrainingSetup> out = new ArrayList<>();
        List<Integer> lengths = new ArrayList<>(List.of(requested.maxLength()));
        for (int length = requested.maxLength(); length > MIN_LENGTH; ) {
            length = Math.max(MIN_LENGTH, length / 2);
            lengths.add(length);
        }
        for (int length : lengths) {
            for (Method method : lighterMethods(requested.method())) {
                for (boolean checkpointing : checkpointingChoices(requested)) {
                    for (int batch = requested.batchSize(); batch >= 1; batch /= 2) {
                        int accumulation = (int) Math.ceil((double) requested.effectiveBatch() / batch);
                        out.add(requested
                                .withMethod(method)
                                .withMaxLength(length)
                                .withGradientCheckpointing(checkpointing)
                                .withBatch(batch, accumulation));
                        if (batch == 1) {
                            break;
                        }
                    }
                }
            }
        }
        return out;
    }

    private static TrainingSetup smallest(TrainingSetup requested) {
        int accumulation = (int) Math.min(Integer.MAX_VALUE, requested.effectiveBatch());
        return requested
                .withMethod(Method.QLORA)
                .withMaxLength(Math.min(MIN_LENGTH, requested.maxLength()))
                .withGradientCheckpointing(true)
                .withBatch(1, accumulation);
    }

    private static List<Method> lighterMethods(Method method) {
        return switch (method) {
            case FULL -> List.of(Method.FULL, Method.LORA, Method.QLORA);
            case LORA -> List.of(Method.LORA, Method.QLORA);
            case QLORA -> List.of(Method.QLORA);
        };
    }

    private static List<Boolean> checkpointingChoices(TrainingSetup requested) {
        return requested.gradientCheckpointing() ? List.of(true) : List.of(false, true);
    }

    private static String explain(TrainingSetup from, TrainingSetup to, String target, boolean strict) {
        List<String> changes = new ArrayList<>();
        if (to.batchSize() != from.batchSize()) {
            changes.add(String.format(
                    Locale.ROOT,
                    "micro-batch %d with %d gradient accumulation steps (same effective " + "batch)",
                    to.batchSize(),
                    to.gradientAccumulationSteps()));
        }
        if (to.gradientCheckpointing() && !from.gradientCheckpointing()) {
            changes.add("gradient checkpointing (about 30% slower)");
        }
        if (to.method() != from.method()) {
            changes.add("method " + to.method().id());
        }
        if (to.maxLength() != from.maxLength()) {
            changes.add(String.format(Locale.ROOT, "max length %d (longer samples are truncated)", to.maxLength()));
        }
        return String.format(
                Locale.ROOT,
                "%s %s with %s",
                strict ? "fits" : "fits tightly (only the expected value, " + "not the high bound)",
                target,
                String.join(", ", changes));
    }

    static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
}
