package io.sage.studio.finetune.domain;

import java.util.List;

import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

import org.hibernate.validator.constraints.Range;

import com.fasterxml.jackson.annotation.JsonProperty;

import io.sage.studio.common.error.StudioException;

/**
 * {@code POST /api/finetune/create}: the seed's form fields plus method, LoRA settings, merge, priority and
 * suffix. What is left out gets the default shown ({@code model_name}: {@code studio.finetune.default-model}, the
 * seed's {@code Qwen/Qwen2.5-7B-Instruct}); what is given is used as given. {@code model_name} is data:
 * any characters are stored and passed to the trainer verbatim, never to a shell.
 *
 * <p>Validation (issue 19): {@code validation_split} holds out that share of the dataset's rows (chosen by
 * {@code seed}, so a clone or a retry holds out the same rows) or {@code validation_file} names a dataset to evaluate on
 * instead, never both; the trainer then evaluates every {@code eval_steps} steps, keeps the checkpoint with the lowest
 * validation loss and, with {@code early_stopping_patience}, stops after that many evaluations without improvement.
 *
 * <p>Several GPUs (issue 21): {@code gpus} per node and {@code nodes} (more than one only on Kubernetes) with
 * {@code parallelism} {@code auto|ddp|fsdp}; {@code auto} is resolved at create (the cheapest layout that fits, from
 * gpu-probe's estimate, else {@link Parallelism#fallback}). {@code save_steps} (issue 20) sets the checkpoint cadence.
 *
 * <p>{@code report_to} (issue 23) names experiment trackers ({@code tensorboard}, {@code mlflow}, {@code wandb}) the
 * trainer reports to as well as its TensorBoard files; an unknown name is 400 naming {@code report_to} (a tracker the
 * trainer's environment lacks is the task's {@code trackers} entry saying so, not an error here).
 */
public record TaskRequest(
        @Size(max = 512) String modelName,
        @NotBlank @Size(max = 4096) String datasetFile,
        @Range(min = 1, max = 100) Integer numEpochs,
        @Range(min = 1, max = 1024) Integer batchSize,
        @Range(min = 1, max = 1024) Integer gradientAccumulationSteps,

        @DecimalMin(value = "0", inclusive = false) @DecimalMax("1")
        Double learningRate,

        @Range(min = 16, max = 131072) Integer maxLength,
        @JsonProperty("load_in_8bit") Boolean loadIn8bit,

        @Pattern(regexp = "lora|qlora|full", message = "must be one of lora, qlora, full")
        String method,

        // vLLM serves LoRA adapters up to rank 512 (its largest --max-lora-rank): a higher rank could never serve.
        @Range(min = 1, max = 512, message = "must be between 1 and 512 (vLLM serves LoRA adapters up to rank 512)")
        Integer loraR,

        @DecimalMin(value = "0", inclusive = false) @DecimalMax("4096")
        Double loraAlpha,

        @DecimalMin("0") @DecimalMax(value = "1", inclusive = false)
        Double loraDropout,

        Boolean gradientCheckpointing,
        Boolean merge,
        @Range(min = -100, max = 100) Integer priority,
        @Size(max = 64) String suffix,

        @DecimalMin(value = "0", inclusive = false) @DecimalMax("0.5")
        Double validationSplit,

        @Size(max = 4096) String validationFile,
        @Range(min = 1, max = 1_000_000) Integer evalSteps,
        @Range(min = 1, max = 1000) Integer earlyStoppingPatience,
        @Range(min = 0, max = Integer.MAX_VALUE) Integer seed,
        @Range(min = 1, max = MAX_GPUS) Integer gpus,
        @Range(min = 1, max = MAX_NODES) Integer nodes,

        @Pattern(regexp = "auto|ddp|fsdp", message = "must be one of auto, ddp, fsdp")
        String parallelism,

        @Range(min = 1, max = 1_000_000) Integer saveSteps,
        @Size(max = 8) List<String> reportTo) {

    /** The experiment trackers {@code report_to} may name (the trainer writes TensorBoard files whatever it says). */
    public static final List<String> TRACKERS = List.of("tensorboard", "mlflow", "wandb");

    public static final int DEFAULT_EPOCHS = 3;
    public static final int DEFAULT_BATCH_SIZE = 4;
    public static final double DEFAULT_LEARNING_RATE = 2e-4;
    public static final int DEFAULT_MAX_LENGTH = 1024;
    /** The trainer's own default seed ({@code sage_trainer.spec.Hyperparameters.seed}). */
    public static final int DEFAULT_SEED = 42;
    /** The most GPUs per node a task may ask for. */
    public static final int MAX_GPUS = 64;
    /** The most nodes a task may ask for. */
    public static final int MAX_NODES = 64;
    /** What {@code parallelism} asks for when left out: the service picks. */
    public static final String AUTO = "auto";

    /** A request without validation settings (what callers before issue 19 build). */
    public TaskRequest(
            String modelName,
            String datasetFile,
            Integer numEpochs,
            Integer batchSize,
            Integer gradientAccumulationSteps,
            Double learningRate,
            Integer maxLength,
            Boolean loadIn8bit,
            String method,
            Integer loraR,
            Double loraAlpha,
            Double loraDropout,
            Boolean gradientCheckpointing,
            Boolean merge,
            Integer priority,
            String suffix) {
        this(
                modelName,
                datasetFile,
                numEpochs,
                batchSize,
                gradientAccumulationSteps,
                learningRate,
                maxLength,
                loadIn8bit,
                method,
                loraR,
                loraAlpha,
                loraDropout,
                gradientCheckpointing,
                merge,
                priority,
                suffix,
                null,
                null,
                null,
                null,
                null);
    }

    /** A request on one GPU with the service's checkpoint cadence (what callers before issue 21 build). */
    public TaskRequest(
            String modelName,
            String datasetFile,
            Integer numEpochs,
            Integer batchSize,
            Integer gradientAccumulationSteps,
            Double learningRate,
            Integer maxLength,
            Boolean loadIn8bit,
            String method,
            Integer loraR,
            Double loraAlpha,
            Double loraDropout,
            Boolean gradientCheckpointing,
            Boolean merge,
            Integer priority,
            String suffix,
            Double validationSplit,
            String validationFile,
            Integer evalSteps,
            Integer earlyStoppingPatience,
            Integer seed) {
        this(
                modelName,
                datasetFile,
                numEpochs,
                batchSize,
                gradientAccumulationSteps,
                learningRate,
                maxLength,
                loadIn8bit,
                method,
                loraR,
                loraAlpha,
                loraDropout,
                gradientCheckpointing,
                merge,
                priority,
                suffix,
                validationSplit,
                validationFile,
                evalSteps,
                earlyStoppingPatience,
                seed,
                null,
                null,
                null,
                null,
                null);
    }

    /** A request without experiment trackers (what callers before issue 23 build). */
    public TaskRequest(
            String modelName,
            String datasetFile,
            Integer numEpochs,
            Integer batchSize,
            Integer gradientAccumulationSteps,
            Double learningRate,
            Integer maxLength,
            Boolean loadIn8bit,
            String method,
            Integer loraR,
            Double loraAlpha,
            Double loraDropout,
            Boolean gradientCheckpointing,
            Boolean merge,
            Integer priority,
            String suffix,
            Double validationSplit,
            String validationFile,
            Integer evalSteps,
            Integer earlyStoppingPatience,
            Integer seed,
            Integer gpus,
            Integer nodes,
            String parallelism,
            Integer saveSteps) {
        this(
                modelName,
                datasetFile,
                numEpochs,
                batchSize,
                gradientAccumulationSteps,
                learningRate,
                maxLength,
                loadIn8bit,
                method,
                loraR,
                loraAlpha,
                loraDropout,
                gradientCheckpointing,
                merge,
                priority,
                suffix,
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

    /**
     * This request, with {@code defaultModel} as its base model when it left {@code model_name} out (the seed's
     * clients may); a blank {@code model_name} is a mistake, not a request for the default: 400.
     */
    public TaskRequest withDefaultModel(String defaultModel) {
        if (modelName == null) {
            return withModelName(defaultModel);
        }
        if (modelName.isBlank()) {
            throw StudioException.invalidField(
                    "model_name", "model_name must not be blank; leave it out to train " + defaultModel);
        }
        return this;
    }

    /** This request with {@code modelName} (the default model of a request that left it out). */
    public TaskRequest withModelName(String model) {
        return new TaskRequest(
                model,
                datasetFile,
                numEpochs,
                batchSize,
                gradientAccumulationSteps,
                learningRate,
                maxLength,
                loadIn8bit,
                method,
                loraR,
                loraAlpha,
                loraDropout,
                gradientCheckpointing,
                merge,
                priority,
                suffix,
                validationSplit,
                validationFile,
                evalSteps,
                earlyStoppingPatience,
                seed,
                gpus,
                nodes,
                parallelism,
                saveSteps,
                reportTo);
    }

    /** This request with {@code layout} ({@code ddp} or {@code fsdp}) for {@code parallelism}. */
    public TaskRequest withParallelism(String layout) {
        return new TaskRequest(
                modelName,
                datasetFile,
                numEpochs,
                batchSize,
                gradientAccumulationSteps,
                learningRate,
                maxLength,
                loadIn8bit,
                method,
                loraR,
                loraAlpha,
                loraDropout,
                gradientCheckpointing,
                merge,
                priority,
                suffix,
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

    /**
     * This request with its validation settings checked against each other: {@code validation_split} and
     * {@code validation_file} exclude each other; {@code eval_steps} and {@code early_stopping_patience} need one of
     * them (without a validation set they would silently do nothing). 400 naming the field otherwise.
     */
    public TaskRequest checkValidation() {
        if (reportTo != null) {
            List<String> unknown =
                    reportTo.stream().filter(name -> !TRACKERS.contains(name)).toList();
            if (!unknown.isEmpty()) {
                throw StudioException.invalidField(
                        "report_to",
                        "report_to names unknown trackers "
                                + String.join(
                                        ", ",
                                        unknown.stream()
                                                .map(n -> n == null ? "null" : "'" + n + "'")
                                                .toList())
                                + " (known: " + String.join(", ", TRACKERS) + ")");
            }
        }
        boolean file = validationFile != null;
        if (file && validationFile.isBlank()) {
            throw StudioException.invalidField(
                    "validation_file", "validation_file must not be blank; leave it out to train without validation");
        }
        if (file && validationSplit != null) {
            throw StudioException.invalidField(
                    "validation_file",
                    "give validation_split (a share of dataset_file held out) or validation_file (a dataset of its"
                            + " own), not both");
        }
        if (!file && validationSplit == null) {
            if (evalSteps != null) {
                throw StudioException.invalidField(
                        "eval_steps", "eval_steps needs a validation set: give validation_split or validation_file");
            }
            if (earlyStoppingPatience != null) {
                throw StudioException.invalidField(
                        "early_stopping_patience",
                        "early_stopping_patience needs a validation set: give validation_split or validation_file");
            }
        }
        return this;
    }

    /**
     * The hyperparameters, defaults filled in; {@code parallelism} {@code auto} resolved by
     * {@link Parallelism#fallback} (the caller may resolve it from a memory estimate instead: {@link #autoParallelism}).
     */
    public TrainingConfig trainingConfig() {
        return new TrainingConfig(
                or(numEpochs, DEFAULT_EPOCHS),
                or(batchSize, DEFAULT_BATCH_SIZE),
                or(gradientAccumulationSteps, 1),
                learningRate == null ? DEFAULT_LEARNING_RATE : learningRate,
                or(maxLength, DEFAULT_MAX_LENGTH),
                Boolean.TRUE.equals(loadIn8bit),
                or(loraR, 16),
                loraAlpha == null ? 32.0 : loraAlpha,
                loraDropout == null ? 0.05 : loraDropout,
                gradientCheckpointing == null || gradientCheckpointing,
                validationSplit,
                validationFile == null ? null : validationFile.strip(),
                evalSteps,
                earlyStoppingPatience,
                seed == null ? DEFAULT_SEED : seed,
                or(gpus, 1),
                or(nodes, 1),
                autoParallelism()
                        ? Parallelism.fallback(or(gpus, 1) * or(nodes, 1), methodOrDefault())
                        : explicitParallelism(),
                saveSteps,
                reportTo == null ? List.of() : reportTo.stream().distinct().toList());
    }

    /** Whether the service picks the layout ({@code parallelism} left out or {@code auto}). */
    public boolean autoParallelism() {
        return parallelism == null || AUTO.equals(parallelism.strip());
    }

    /** The layout asked for: {@code none} on one GPU whatever was asked (there is nothing to spread). */
    private Parallelism explicitParallelism() {
        return or(gpus, 1) * or(nodes, 1) == 1 ? Parallelism.NONE : Parallelism.of(parallelism);
    }

    public TrainingMethod methodOrDefault() {
        return method == null ? TrainingMethod.DEFAULT : TrainingMethod.of(method);
    }

    public boolean mergeOrDefault() {
        return merge == null || merge;
    }

    public int priorityOrDefault() {
        return priority == null ? 0 : priority;
    }

    private static int or(Integer value, int fallback) {
        return value == null ? fallback : value;
    }
}
