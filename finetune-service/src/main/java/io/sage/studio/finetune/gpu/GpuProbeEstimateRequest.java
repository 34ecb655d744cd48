package io.sage.studio.finetune.gpu;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Body of gpu-probe's {@code POST /api/system/memory-estimate}. */
public record GpuProbeEstimateRequest(
        String model,
        String method,
        int batchSize,
        int maxLength,
        int loraR,
        boolean gradientCheckpointing,
        String precision,
        @JsonProperty("load_in_8bit") boolean loadIn8bit) {}
