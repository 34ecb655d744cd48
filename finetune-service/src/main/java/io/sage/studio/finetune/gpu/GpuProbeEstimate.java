package io.sage.studio.finetune.gpu;

import com.fasterxml.jackson.databind.JsonNode;

/** gpu-probe's memory estimate for a training configuration (bytes of GPU memory). */
public record GpuProbeEstimate(
        long lowBytes,
        long expectedBytes,
        long highBytes,
        JsonNode breakdown,
        JsonNode fits,
        JsonNode recommendation) {}
