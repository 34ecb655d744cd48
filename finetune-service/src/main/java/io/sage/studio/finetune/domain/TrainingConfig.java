package io.sage.studio.finetune.domain;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonProperty;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The hyperparameters of a task exactly as the user gave them (defaults filled in for what they left out).
 * Field names are the seed's; {@link #trainerHyperparameters()} renames them for the trainer protocol.
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
        boolean gradientCheckpointing) {

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
        return hp;
    }
}
