package io.sage.studio.finetune.domain;

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
        @Size(max = 64) String suffix) {

    public static final int DEFAULT_EPOCHS = 3;
    public static final int DEFAULT_BATCH_SIZE = 4;
    public static final double DEFAULT_LEARNING_RATE = 2e-4;
    public static final int DEFAULT_MAX_LENGTH = 1024;

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
                suffix);
    }

    /** The hyperparameters, defaults filled in. */
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
                gradientCheckpointing == null || gradientCheckpointing);
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
