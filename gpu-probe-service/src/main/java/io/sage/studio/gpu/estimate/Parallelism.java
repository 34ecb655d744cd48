package io.sage.studio.gpu.estimate;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * How a training run is spread over its GPUs, with the names the trainer's {@code job.json} uses: one process
 * ({@code none}), every GPU holding a full replica ({@code ddp}, torch DistributedDataParallel), or parameters,
 * gradients and optimizer state sharded over the GPUs ({@code fsdp}, torch FullyShardedDataParallel).
 */
public enum Parallelism {
    NONE,
    DDP,
    FSDP;

    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
