package io.sage.studio.gpu.estimate;

import java.util.List;

/**
 * The settings of a training run that decide its memory, already validated.
 *
 * @param precision resolved: never {@link Precision#AUTO}
 * @param loraTargets the adapted projections (see {@link ModelArchitecture#LINEAR_MODULES}); ignored for full
 * @param loadIn8bit LoRA on LLM.int8() weights
 * @param layout the GPUs the run spans; estimates are per GPU of it
 */
public record TrainingSetup(
        Method method,
        Precision precision,
        int batchSize,
        int maxLength,
        int gradientAccumulationSteps,
        int loraR,
        List<String> loraTargets,
        boolean gradientCheckpointing,
        boolean loadIn8bit,
        Layout layout) {

    public TrainingSetup {
        if (precision == Precision.AUTO) {
            throw new IllegalArgumentException("resolve the precision first");
        }
        loraTargets = List.copyOf(loraTargets);
    }

    /** A run on one GPU. */
    public TrainingSetup(
            Method method,
            Precision precision,
            int batchSize,
            int maxLength,
            int gradientAccumulationSteps,
            int loraR,
            List<String> loraTargets,
            boolean gradientCheckpointing,
            boolean loadIn8bit) {
        this(
                method,
                precision,
                batchSize,
                maxLength,
                gradientAccumulationSteps,
                loraR,
                loraTargets,
                gradientCheckpointing,
                loadIn8bit,
                Layout.SINGLE);
    }

    /** Sequences per optimizer step. */
    public long effectiveBatch() {
        return (long) batchSize * gradientAccumulationSteps;
    }

    public TrainingSetup withMethod(Method value) {
        return new TrainingSetup(
                value,
                precision,
                batchSize,
                maxLength,
                gradientAccumulationSteps,
                loraR,
                loraTargets,
                gradientCheckpointing,
                value == Method.LORA && loadIn8bit,
                layout);
    }

    public TrainingSetup withPrecision(Precision value) {
        return new TrainingSetup(
                method,
                value,
                batchSize,
                maxLength,
                gradientAccumulationSteps,
                loraR,
                loraTargets,
                gradientCheckpointing,
                loadIn8bit,
                layout);
    }

    public TrainingSetup withBatch(int batch, int accumulation) {
        return new TrainingSetup(
                method,
                precision,
                batch,
                maxLength,
                accumulation,
                loraR,
                loraTargets,
                gradientCheckpointing,
                loadIn8bit,
                layout);
    }

    public TrainingSetup withMaxLength(int value) {
        return new TrainingSetup(
                method,
                precision,
                batchSize,
                value,
                gradientAccumulationSteps,
                loraR,
                loraTargets,
                gradientCheckpointing,
                loadIn8bit,
                layout);
    }

    public TrainingSetup withGradientCheckpointing(boolean value) {
        return new TrainingSetup(
                method,
                precision,
                batchSize,
                maxLength,
                gradientAccumulationSteps,
                loraR,
                loraTargets,
                value,
                loadIn8bit,
                layout);
    }

    public TrainingSetup withLayout(Layout value) {
        return new TrainingSetup(
                method,
                precision,
                batchSize,
                maxLength,
                gradientAccumulationSteps,
                loraR,
                loraTargets,
                gradientCheckpointing,
                loadIn8bit,
                value);
    }
}
