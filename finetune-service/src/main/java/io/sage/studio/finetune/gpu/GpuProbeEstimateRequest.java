package io.sage.studio.finetune.gpu;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Body of gpu-probe's {@code POST /api/system/memory-estimate}.
 *
 * @param gpus GPUs per node of the task's shape
 * @param nodes nodes of the task's shape
 * @param parallelism {@code auto}, {@code ddp} or {@code fsdp}
 */
public record GpuProbeEstimateRequest(
        String model,
        String method,
        int batchSize,
        int maxLength,
        int loraR,
        boolean gradientCheckpointing,
        String precision,
        @JsonProperty("load_in_8bit") boolean loadIn8bit,
        int gpus,
        int nodes,
        String parallelism) {

    /** A run on one GPU. */
    public GpuProbeEstimateRequest(
            String model,
            String method,
            int batchSize,
            int maxLength,
            int loraR,
            boolean gradientCheckpointing,
            String precision,
            boolean loadIn8bit) {
        this(model, method, batchSize, maxLength, loraR, gradientCheckpointing, precision, loadIn8bit, 1, 1, "auto");
    }
}
