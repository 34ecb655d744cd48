package io.sage.studio.gpu.estimate;

import static io.sage.studio.gpu.estimate.EstimatorConstants.ADAM_MOMENTS;
import static io.sage.studio.gpu.estimate.EstimatorConstants.ADAPTER_BYTES;
import static io.sage.studio.gpu.estimate.EstimatorConstants.INT8_BYTES;
import static io.sage.studio.gpu.estimate.EstimatorConstants.NCCL_BYTES;
import static io.sage.studio.gpu.estimate.EstimatorConstants.NF4_BYTES;

/**
 * Peak GPU memory of fine-tuning a decoder-only transformer with Hugging Face transformers + PEFT and AdamW.
 * Pure arithmetic; DESIGN.md derives each term. Sources:
 * <ul>
 * <li>weights, gradients, optimizer states per parameter: Hugging Face, "Model training anatomy"
 *     (https://huggingface.co/docs/transformers/model_memory_anatomy): fp32 weights 4 B, mixed precision
 *     4 + 2 B, gradients 4 B, AdamW 8 B; LLaMA-Factory's hardware table (full AMP 18x, pure bf16 8x,
 *     LoRA 2x, QLoRA-8 x, QLoRA-4 x/2 GB for x billion parameters);</li>
 * <li>LoRA adapter size r × (in + out) per adapted matrix: Hu et al. 2021, "LoRA", §4.1;</li>
 * <li>4-bit NF4 with double quantisation, 4.127 bits per weight: Dettmers et al. 2023, "QLoRA", §3;</li>
 * <li>activations, sbh × coefficient per layer, and recomputation keeping only layer inputs: Korthikanti et
 *     al. 2022, "Reducing Activation Recomputation in Large Transformer Models", §4 (34·sbh + 5·as²b per
 *     layer for GPT; the as² term vanishes with fused (flash / memory-efficient) attention), with
 *     coefficients re-derived for RMSNorm + GQA + SwiGLU and fitted to measured peaks;</li>
 * <li>several GPUs: DDP keeps its gradient buckets beside the gradients unless {@code gradient_as_bucket_view}
 *     (PyTorch DistributedDataParallel docs: "the saved memory size will be equal to the total gradients size");
 *     FSDP divides parameters, gradients and optimizer state by the world size and all-gathers one wrapped
 *     unit at a time, the root unit (embeddings, head) staying gathered between forward and backward (PyTorch
 *     FSDP docs; Zhao et al. 2023, "PyTorch FSDP", §3.2, ZeRO-3 of Rajbhandari et al. 2020).</li>
 * </ul>
 */
public final class MemoryEstimator {

    /** How the estimate is computed, in one line for API readers. */
    public static final String FORMULA = "peak = weights + adapter + AdamW states (2 per trainable param)"
            + " + gradients + activations (full fine-tuning: the larger of the two) + allocator overhead"
            + " + CUDA context; activations = tokens x (layers x per-token bytes, or only layer inputs plus one"
            + " layer with gradient checkpointing, + vocab x 12.4 B for the loss); tokens = batch_size x"
            + " max_length; per GPU of the layout: DDP adds a copy of the gradients (its buckets), FSDP divides"
            + " weights, gradients and AdamW states by nodes x gpus and adds the root unit and one gathered layer;"
            + " see gpu-probe-service/DESIGN.md";

    private final EstimatorConstants c;

    public MemoryEstimator(EstimatorConstants constants) {
        this.c = constants;
    }

    public MemoryEstimator() {
        this(EstimatorConstants.CURRENT);
    }

    public MemoryEstimate estimate(ModelArchitecture arch, long params, TrainingSetup setup) {
        double half = setup.precision() == Precision.FP32 ? 4 : 2;
        long linear = Math.min(arch.linearParams(), params);
        long rest = params - linear;
        double weights;
        double adapter = 0;
        double gradients;
        double optimizer;
        long trainable;
        if (setup.method() == Method.FULL) {
            trainable = params;
            switch (setup.precision()) {
                case BF16 -> {
                    // Pure bf16: weights, gradients and both AdamW moments in bf16 (LLaMA-Factory "pure_bf16", 8x).
                    weights = 2.0 * params;
                    gradients = 2.0 * params;
                    optimizer = ADAM_MOMENTS * 2.0 * params;
                }
                case FP16 -> {
                    // Automatic mixed precision: fp32 master weights, gradients and moments, plus the fp16 copies
                    // autocast keeps of the projections until the backward pass (HF anatomy: 6 + 4 + 8 = 18 B).
                    weights = 4.0 * params + 2.0 * linear;
                    gradients = 4.0 * params;
                    optimizer = ADAM_MOMENTS * 4.0 * params;
                }
                default -> {
                    weights = 4.0 * params;
                    gradients = 4.0 * params;
                    optimizer = ADAM_MOMENTS * 4.0 * params;
                }
            }
        } else {
            trainable = arch.loraParams(setup.loraR(), setup.loraTargets());
            if (setup.method() == Method.QLORA) {
                weights = NF4_BYTES * linear + half * rest;
            } else if (setup.loadIn8bit()) {
                weights = INT8_BYTES * linear + half * rest;
            } else {
                weights = half * params;
            }
            adapter = ADAPTER_BYTES * trainable;
            gradients = ADAPTER_BYTES * trainable;
            optimizer = ADAM_MOMENTS * ADAPTER_BYTES * trainable;
        }
        double gathered = 0;
        double communication = 0;
        Layout layout = setup.layout();
        if (layout.parallelism() == Parallelism.FSDP) {
            double world = layout.worldSize();
            long layer = Math.min(arch.layerParams(), params / Math.max(1, arch.numLayers()));
            long root = Math.max(0, params - layer * arch.numLayers());
            double layerTrainable = setup.method() == Method.FULL ? layer : (double) trainable / arch.numLayers();
            gathered = (root + layer) * (weights / params) + layerTrainable * (gradients / Math.max(1, trainable));
            weights /= world;
            adapter /= world;
            gradients /= world;
            optimizer /= world;
        }
        if (layout.worldSize() > 1) {
            communication = NCCL_BYTES + (layout.parallelism() == Parallelism.DDP ? gradients : 0);
        }
        double activations = activations(arch, setup);
        double peakGradients = gradients;
        double peakActivations = activations;
        if (setup.method() == Method.FULL) {
            // Gradients appear during the backward pass as the activations are freed: the peak holds the larger
            // of the two, not both (measured, see DESIGN.md). LoRA's gradients are tiny and simply added.
            peakGradients = gradients >= activations ? gradients : 0;
            peakActivations = gradients >= activations ? 0 : activations;
        }
        double resident = weights + adapter + optimizer + peakGradients + gathered + communication;
        double allocator = c.staticAllocatorOverhead() * resident + c.activationAllocatorOverhead() * peakActivations;
        double torch = resident + peakActivations + allocator;
        double expected = torch + c.cudaContextBytes();
        double low = resident + c.lowActivationFactor() * peakActivations + c.cudaContextBytes();
        double high = torch * c.highFactor() + c.cudaContextBytes() + c.highMarginBytes();
        return new MemoryEstimate(
                params,
                trainable,
                Math.round(low),
                Math.round(expected),
                Math.round(high),
                new MemoryEstimate.Breakdown(
                        Math.round(weights),
                        Math.round(adapter),
                        Math.round(gradients),
                        Math.round(optimizer),
                        Math.round(activations),
                        Math.round(allocator),
                        c.cudaContextBytes(),
                        Math.round(gathered),
                        Math.round(communication)));
    }

    /** Bytes kept for the backward pass at its peak, plus the loss's logits. */
    double activations(ModelArchitecture arch, TrainingSetup setup) {
        double tokens = (double) setup.batchSize() * setup.maxLength();
        double hidden = arch.hiddenSize();
        double perLayer;
        if (setup.method() == Method.FULL) {
            perLayer = c.fullActPerHidden() * hidden
                    + c.fullActPerKv() * arch.kvDim()
                    + c.fullActPerIntermediate() * arch.intermediateSize();
        } else {
            perLayer = c.loraActPerHidden() * hidden
                    + c.loraActPerKv() * arch.kvDim()
                    + c.loraActPerIntermediate() * arch.intermediateSize()
                    + c.loraActPerTargetInput() * arch.targetInputs(setup.loraTargets());
        }
        perLayer += c.actPerHead() * arch.numAttentionHeads();
        double layers = setup.gradientCheckpointing()
                ? c.checkpointBytesPerHidden() * hidden * arch.numLayers() + perLayer
                : perLayer * arch.numLayers();
        double scale = setup.precision() == Precision.FP32 ? 2 : 1;
        return tokens * (layers * scale + c.logitsBytesPerToken() * arch.vocabSize());
    }
}
