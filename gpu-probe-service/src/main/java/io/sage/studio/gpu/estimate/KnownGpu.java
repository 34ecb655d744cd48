package io.sage.studio.gpu.estimate;

import java.util.List;

/**
 * A GPU model users commonly train on, with the total memory {@code nvidia-smi} reports for it (a little under
 * the nameplate: ECC and the driver's reservations) and whether it has bf16 (Ampere and later).
 */
public record KnownGpu(String name, long memoryBytes, boolean bf16) {

    private static final long MIB = 1L << 20;

    public static final List<KnownGpu> ALL = List.of(
            new KnownGpu("NVIDIA T4 16GB", 15_360 * MIB, false),
            new KnownGpu("NVIDIA A10 24GB", 23_028 * MIB, true),
            new KnownGpu("NVIDIA L4 24GB", 23_034 * MIB, true),
            new KnownGpu("NVIDIA RTX 3090 24GB", 24_576 * MIB, true),
            new KnownGpu("NVIDIA RTX 4090 24GB", 24_564 * MIB, true),
            new KnownGpu("NVIDIA A100 40GB", 40_960 * MIB, true),
            new KnownGpu("NVIDIA A100 80GB", 81_920 * MIB, true),
            new KnownGpu("NVIDIA H100 80GB", 81_559 * MIB, true),
            new KnownGpu("NVIDIA H200 141GB", 143_771 * MIB, true));
}
