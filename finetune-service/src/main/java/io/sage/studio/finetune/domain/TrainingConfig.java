package io.sage.studio.finetune.domain;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonProperty;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The hyperparameters of a task exactly as the user gave them (defaults filled in for what they left out).
 * Field names are the seed's; {@link #trainerHyperparameters()} renames them for the trainer protocol.
 *
 * <p>The validation settings (issue 19) are {@code null} when not given, and in records written before them;
 * {@code seed} is {@code null} there too and means the trainer's default.
 *
 * @param validationSplit       the share of the dataset held out for validation, or {@code null}
 * @param validationFile        what {@code validation_file} named (the task evaluates on its own copy), or {@code null}
 * @param evalSteps             evaluate every this many steps; {@code null}: about ten evaluations a run
 * @param earlyStoppingPatience stop after this many evaluations without improvement; {@code null}: never early
 * @param seed                  the seed of the trainer and of the validation split
 * @param gpus                  GPUs per node (issue 21); 1 in records written before
 * @param nodes                 nodes the task trains on; 1 in records written before (more only on Kubernetes)
 * @param parallelism           the resolved layout over {@code nodes × gpus}: {@code none} for world size 1
 * @param saveSteps             checkpoint every this many steps (issue 20); {@code null}: the service default
 *                              ({@code studio.finetune.save-steps}, about every 10 % of the run)
 * @param reportTo              the experiment trackers {@code job.json}'s {@code report_to} names (issue 23); empty: TensorBoard
 *                              files only
 */
@RegisterForReflection
public record TrainingConfig(
        int numEpochs,
        int batchSize,
        int gradientAccumulationSteps,
        double learningRate,
        int maxLength,
        @JsonProperty("load_in_8bit") boolean loadIn8bit,
        int loraR,
        double loraAlpha,
        double loraDropout,
        boolean gradientCheckpointing,
        Double validationSplit,
        String validationFile,
        Integer evalSteps,
        Integer earlyStoppingPatience,
        Integer seed,
        Integer gpus,
        Integer nodes,
        Parallelism parallelism,
        Integer saveSteps,
        List<String> reportTo) {

    /**
     * Fills what records written before issue 21 lack: one GPU on one node, no parallelism; and before issue 23: no
     * experiment trackers.
     */
    public TrainingConfig {
        reportTo = reportTo == null ? List.of() : List.copyOf(reportTo);
        gpus = gpus == null ? 1 : gpus;
        nodes = nodes == null ? 1 : nodes;
        parallelism = parallelism == null ? Parallelism.fallback(gpus * nodes, TrainingMethod.DEFAULT) : parallelism;
    }

    /** A config on one GPU with the service's checkpoint cadence (what callers before issue 21 build). */
    public TrainingConfig(
            int numEpochs,
            int batchSize,
            int gradientAccumulationSteps,
            double learningRate,
            int maxLength,
            boolean loadIn8bit,
            int loraR,
            double loraAlpha,
            double loraDropout,
            boolean gradientCheckpointing,
            Double validationSplit,
            String validationFile,
            Integer evalSteps,
            Integer earlyStoppingPatience,
            Integer seed) {
        this(
                numEpochs,
                batchSize,
                gradientAccumulationSteps,
                learningRate,
                maxLength,
                loadIn8bit,
                loraR,
                loraAlpha,
                loraDropout,
                gradientCheckpointing,
                validationSplit,
                validationFile,
                evalSteps,
                earlyStoppingPatience,
                seed,
                1,
                1,
                Parallelism.NONE,
                null,
                null);
    }

    /** A config without experiment trackers (what callers before issue 23 build). */
    public TrainingConfig(
            int numEpochs,
            int batchSize,
            int gradientAccumulationSteps,
            double learningRate,
            int maxLength,
            boolean loadIn8bit,
            int loraR,
            double loraAlpha,
            double loraDropout,
            boolean gradientCheckpointing,
            Double validationSplit,
            String validationFile,
            Integer evalSteps,
            Integer earlyStoppingPatience,
            Integer seed,
            Integer gpus,
            Integer nodes,
            Parallelism parallelism,
            Integer saveSteps) {
        this(
                numEpochs,
                batchSize,
                gradientAccumulationSteps,
                learningRate,
                maxLength,
                loadIn8bit,
                loraR,
                loraAlpha,
                loraDropout,
                gradientCheckpointing,
                validationSplit,
                validationFile,
                evalSteps,
                earlyStoppingPatience,
                seed,
                gpus,
                nodes,
                parallelism,
                saveSteps,
                null);
    }

    /** The number of trainer processes: {@code nodes × gpus}; more than 1 makes the run distributed. */
    public int worldSize() {
        return gpus * nodes;
    }

    /** This config with {@code layout} ({@code auto} resolved from a memory estimate). */
    public TrainingConfig withParallelism(Parallelism layout) {
        return new TrainingConfig(
                numEpochs,
                batchSize,
                gradientAccumulationSteps,
                learningRate,
                maxLength,
                loadIn8bit,
                loraR,
                loraAlpha,
                loraDropout,
                gradientCheckpointing,
                validationSplit,
                validationFile,
                evalSteps,
                earlyStoppingPatience,
                seed,
                gpus,
                nodes,
                layout,
                saveSteps,
                reportTo);
    }

    /** The seed the trainer and the split use ({@link TaskRequest#DEFAULT_SEED} for a record without one). */
    public int seedOrDefault() {
        return seed == null ? TaskRequest.DEFAULT_SEED : seed;
    }

    /** Whether the task trains with a validation set. */
    public boolean validates() {
        return validationSplit != null || validationFile != null;
    }

    /** The {@code hyperparameters} object of {@code job.json} (names of {@code docs/trainer-protocol.md}). */
    public Map<String, Object> trainerHyperparameters() {
        Map<String, Object> hp = new LinkedHashMap<>();
        hp.put("epochs", numEpochs);
        hp.put("batch_size", batchSize);
        hp.put("gradient_accumulation_steps", gradientAccumulationSteps);
        hp.put("learning_rate", learningRate);
        hp.put("max_length", maxLength);
        hp.put("lora_r", loraR);
        hp.put("lora_alpha", loraAlpha);
        hp.put("lora_dropout", loraDropout);
        hp.put("load_in_8bit", loadIn8bit);
        hp.put("gradient_checkpointing", gradientCheckpointing);
        hp.put("seed", seedOrDefault());
        if (validates() && earlyStoppingPatience != null) {
            hp.put("early_stopping_patience", earlyStoppingPatience);
        }
        return hp;
    }
}
