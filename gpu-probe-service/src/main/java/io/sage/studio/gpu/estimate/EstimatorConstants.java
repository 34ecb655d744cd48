package io.sage.studio.gpu.estimate;

/**
 * Every tunable number of the memory model, in one place, so calibration against measured peaks
 * ({@code bench/gpu/calibrate.py}; the measurements are replayed by {@code CalibrationTest}) changes this file and
 * nothing else. Activation coefficients are bytes per token per layer per feature at 16-bit precision;
 * DESIGN.md derives each one.
 *
 * @param fullActPerHidden full fine-tuning, per hidden feature: RMSNorm's fp32 upcasts and outputs, q/k before
 *        and after RoPE, the attention input and output
 * @param fullActPerKv full fine-tuning, per key/value feature
 * @param fullActPerIntermediate SwiGLU: gate, SiLU(gate), up and their product
 * @param loraActPerHidden LoRA/QLoRA, per hidden feature: frozen projections keep no inputs, the norms less
 * @param loraActPerKv LoRA/QLoRA, per key/value feature
 * @param loraActPerIntermediate LoRA/QLoRA: gate, SiLU(gate), up
 * @param loraActPerTargetInput what each adapted projection adds per input feature (dropout mask and the
 *        16-bit input {@code lora_A} keeps)
 * @param actPerHead attention's log-sum-exp (fp32) per head
 * @param logitsBytesPerToken bytes per token per vocabulary entry around the loss: 16-bit logits, their fp32
 *        upcast, log-softmax and its gradient
 * @param checkpointBytesPerHidden gradient checkpointing keeps each layer's input: bytes per token per layer per
 *        hidden feature
 * @param cudaContextBytes CUDA context, loaded kernels and cuBLAS workspaces of a PyTorch process
 * @param staticAllocatorOverhead what the caching allocator reserves beyond weights, gradients and optimizer
 *        states (fraction)
 * @param activationAllocatorOverhead what it reserves beyond activations (fraction; short-lived blocks fragment)
 * @param lowActivationFactor the low bound's share of the activations (kernels that free early)
 * @param highFactor the high bound's multiple of the expected PyTorch memory (long runs fragment more)
 * @param highMarginBytes the high bound's allowance for other libraries' workspaces
 */
public record EstimatorConstants(
        double fullActPerHidden,
        double fullActPerKv,
        double fullActPerIntermediate,
        double loraActPerHidden,
        double loraActPerKv,
        double loraActPerIntermediate,
        double loraActPerTargetInput,
        double actPerHead,
        double logitsBytesPerToken,
        double checkpointBytesPerHidden,
        long cudaContextBytes,
        double staticAllocatorOverhead,
        double activationAllocatorOverhead,
        double lowActivationFactor,
        double highFactor,
        long highMarginBytes) {

    /**
     * The constants in use: derived in DESIGN.md, {@code loraActPerHidden}, {@code logitsBytesPerToken}, the
     * overheads and the context fitted to 20 runs on an H200 (torch 2.11, transformers 5.17, peft 0.21): every
     * measured peak inside [low, high], expected within 10% (mean 3.3%); 10 held-out runs within 7%.
     */
    public static final EstimatorConstants CURRENT =
            new EstimatorConstants(26, 8, 8, 13, 8, 6, 3, 4, 12.4, 2, 800L << 20, 0.03, 0.12, 0.85, 1.25, 256L << 20);

    /** Bytes of a 4-bit NormalFloat weight with double quantisation: 4 + 0.127 bits (QLoRA, Dettmers et al. 2023, §3). */
    public static final double NF4_BYTES = (4 + 0.127) / 8;
    /** Bytes of an LLM.int8() weight (Dettmers et al. 2022); the per-row fp32 scales are negligible. */
    public static final double INT8_BYTES = 1;
    /** AdamW keeps two moments (first and second) per trainable parameter, in the parameter's dtype. */
    public static final int ADAM_MOMENTS = 2;
    /**
     * NCCL's per-process buffers once a run spans GPUs: {@code NCCL_BUFFSIZE} (4 MiB) per channel per peer and
     * the communicators' own allocations, a few hundred MiB on one 8-GPU node; an allowance, not yet calibrated.
     */
    public static final long NCCL_BYTES = 512L << 20;
    /** PEFT keeps adapter weights in fp32 even on a 16-bit base model ({@code autocast_adapter_dtype}). */
    public static final double ADAPTER_BYTES = 4;
}
