package io.sage.studio.gpu.estimate;

/**
 * How many GPUs a run spans and how it uses them. Part of {@link TrainingSetup} so that every estimate, fit and
 * recommendation is per GPU of the layout the task would run with.
 *
 * @param worldSize {@code nodes × gpus}: the processes (one per GPU) the run has
 */
public record Layout(Parallelism parallelism, int worldSize) {

    /** One process on one GPU: what every estimate was before tasks could span GPUs. */
    public static final Layout SINGLE = new Layout(Parallelism.NONE, 1);

    public Layout {
        if (worldSize < 1 || (parallelism == Parallelism.NONE) != (worldSize == 1)) {
            throw new IllegalArgumentException(parallelism + " over " + worldSize + " GPUs");
        }
    }
}
