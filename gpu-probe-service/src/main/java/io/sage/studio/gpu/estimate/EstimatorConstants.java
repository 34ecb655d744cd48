package io.sage.studio.gpu.estimate;

/**
 * Every tunable number of the memory model, in one place, so calibration against measured peaks (see
 * {@code bench/gpu/}) changes this file and nothing else. Activation coefficients are bytes per token per
 * layer per feature at 16-bit precision; DESIGN.md derives each one.
 *
 * @param fullActPerHidden full fine-tuning, bytes per token per layer per hidden feature (RMSNorm fp32 upcasts,
 *        q/k before and after RoPE, attention input and output, residual stream)
 * @param fullActPerKv bytes per token per layer per key/value feature
 * @param fullActPerIntermediate SwiGLU: gate, SiLU(gate), up and their product
 * @param loraActPerHidden LoRA/QLoRA: frozen projections do not keep their inputs, so less than full
 * @param loraActPerKv LoRA/QLoRA, per key/value feature
 * @param loraActPerIntermediate LoRA/QLoRA: gate, SiLU(gate), up
 * @param loraActPerTargetInput what each adapted projection adds per input feature (dropout mask, the
 *        16-bit copy {@code lora_A} keeps)
 * @param actPerHead attention's log-sum-exp (fp32) per head
 * @param logitsBytesPerToken bytes per token per vocabulary entry around the loss: 16-bit logits, their fp32
 *        upcast and log-softmax, and its gradient
 * @param checkpointBytesPerHidden gradient checkpointing keeps each layer's input: bytes per token per layer
 *        per hidden feature
 * @param cudaContextBytes the CUDA context, kernels and library workspaces (cuBLAS) of a PyTorch process
 * @param allocatorOverhead what PyTorch's caching allocator reserves beyond its peak allocation (fraction)
 * @param lowActivationFactor the low bound's share of the modelled activations (kernels that free early)
 * @param highActivationFactor the high bound's multiple of the modelled activations (padding, eager fallbacks)
 * @param highOverhead extra fraction on the whole of the high bound (fragmentation over a long run)
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
        double allocatorOverhead,
        double lowActivationFactor,
        double highActivationFactor,
        double highOverhead) {

    /** The constants in use. */
    public static final EstimatorConstants CURRENT = new EstimatorConstants(
            26, 8, 8,
            16, 8, 6, 3,
            4,
            12,
            2,
            600L << 20,
            0.05,
            0.7, 1.3, 0.05);

    /** Bytes of a 4-bit NormalFloat weight with double quantisation: 4 + 0.127 bits (QLoRA, Dettmers et al. 2023, §3). */
    public static final double NF4_BYTES = (4 + 0.127) / 8;
    /** Bytes of an LLM.int8() weight (Dettmers et al. 2022); the per-row fp32 scales are negligible. */
    public static final double INT8_BYTES = 1;
    /** AdamW keeps two moments (first and second) per trainable parameter, in the parameter's dtype. */
    public static final int ADAM_MOMENTS = 2;
    /** PEFT keeps adapter weights in fp32 even on a 16-bit base model ({@code autocast_adapter_dtype}). */
    public static final double ADAPTER_BYTES = 4;
}
