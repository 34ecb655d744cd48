package io.sage.studio.gpu.estimate;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code POST /api/system/memory-estimate}. Every field but {@code model} (or {@code architecture}) is optional;
 * defaults are the trainer's.
 *
 * @param model a base-model catalogue id, or a model folder (with {@code config.json}, or a LoRA adapter folder
 *        with {@code adapter_config.json}) inside the studio home
 * @param method {@code lora} (default), {@code qlora} or {@code full}
 * @param loraTargetModules {@code null} or {@code "all-linear"} (every projection), or a list of projection names
 * @param precision {@code auto} (default), {@code bf16}, {@code fp16} or {@code fp32}
 * @param gpuMemoryBytes a memory budget to recommend settings for
 * @param node with {@code gpu_uuid}: recommend settings for that GPU's free memory
 * @param architecture explicit architecture numbers, e.g. of a model that is not on disk here
 * @param gpus GPUs per node the task would use, 1..64 (default 1)
 * @param nodes nodes the task would span, 1..64 (default 1)
 * @param parallelism {@code auto} (default), {@code ddp} or {@code fsdp}: the layout the top-level numbers are
 *        for; {@code layouts} lists every layout either way
 */
public record EstimateRequest(
        String model,
        String method,
        Integer batchSize,
        Integer maxLength,
        Integer gradientAccumulationSteps,
        Integer loraR,

        @Schema(
                description = "null, \"all-linear\" or a list of projection names",
                oneOf = {String.class, String[].class})
        JsonNode loraTargetModules,

        Boolean gradientCheckpointing,
        String precision,
        @JsonProperty("load_in_8bit") Boolean loadIn8bit,
        Long gpuMemoryBytes,
        String node,
        String gpuUuid,
        Architecture architecture,
        Integer gpus,
        Integer nodes,
        @Schema(enumeration = {"auto", "ddp", "fsdp"}) String parallelism) {

    /**
     * Architecture numbers with the names of a Hugging Face {@code config.json}.
     *
     * @param params the parameter count; counted from the other numbers when absent
     * @param modelType e.g. {@code qwen2}, which implies q/k/v biases
     */
    public record Architecture(
            Integer hiddenSize,
            @JsonAlias("num_layers") Integer numHiddenLayers,
            Integer numAttentionHeads,
            Integer numKeyValueHeads,
            Integer headDim,
            Integer intermediateSize,
            Integer vocabSize,
            Boolean tieWordEmbeddings,
            Boolean attentionBias,
            Long params,
            String modelType) {}
}
