package io.sage.studio.gpu.estimate;

import java.util.List;

import io.sage.studio.common.models.BaseModel;

/**
 * The numbers of a decoder-only transformer (Llama/Qwen2 layout: grouped-query attention, SwiGLU MLP,
 * RMSNorm) that the memory model needs; the same names as a Hugging Face {@code config.json}.
 *
 * @param headDim per-head width; {@code hidden_size / num_attention_heads} unless the config says otherwise
 * @param attentionBias whether q/k/v projections carry a bias (Qwen2 does, Llama does not)
 */
public record ModelArchitecture(
        int hiddenSize,
        int numLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        int intermediateSize,
        int vocabSize,
        boolean tieWordEmbeddings,
        boolean attentionBias) {

    /** The projections of one decoder layer, by their usual module names (the LoRA targets). */
    public static final List<String> LINEAR_MODULES =
            List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    public static ModelArchitecture of(BaseModel model) {
        return new ModelArchitecture(
                model.hiddenSize(),
                model.numLayers(),
                model.numAttentionHeads(),
                model.numKeyValueHeads(),
                model.hiddenSize() / model.numAttentionHeads(),
                model.intermediateSize(),
                model.vocabSize(),
                model.tieWordEmbeddings(),
                "qwen2".equals(model.family()));
    }

    /** Width of the key (and of the value) projection: {@code num_key_value_heads × head_dim}. */
    public long kvDim() {
        return (long) numKeyValueHeads * headDim;
    }

    /** Width of the query projection and of the attention output: {@code num_attention_heads × head_dim}. */
    public long qDim() {
        return (long) numAttentionHeads * headDim;
    }

    /** Input features of a projection. */
    public long inFeatures(String module) {
        return switch (module) {
            case "q_proj", "k_proj", "v_proj", "gate_proj", "up_proj" -> hiddenSize;
            case "o_proj" -> qDim();
            case "down_proj" -> intermediateSize;
            default -> throw new IllegalArgumentException("unknown module " + module);
        };
    }

    /** Output features of a projection. */
    public long outFeatures(String module) {
        return switch (module) {
            case "q_proj" -> qDim();
            case "k_proj", "v_proj" -> kvDim();
            case "o_proj", "down_proj" -> hiddenSize;
            case "gate_proj", "up_proj" -> intermediateSize;
            default -> throw new IllegalArgumentException("unknown module " + module);
        };
    }

    /** Weights of the seven projections of all layers: the part that 8-bit and 4-bit loading quantise. */
    public long linearParams() {
        long perLayer = 0;
        for (String module : LINEAR_MODULES) {
            perLayer += inFeatures(module) * outFeatures(module);
        }
        return perLayer * numLayers;
    }

    /** The input embedding, plus the output head when it is not tied to it. */
    public long embeddingParams() {
        long embedding = (long) vocabSize * hiddenSize;
        return tieWordEmbeddings ? embedding : 2 * embedding;
    }

    /** Parameters counted from the architecture: projections, biases, norms, embeddings. */
    public long countParams() {
        return layerParams() * numLayers + hiddenSize + embeddingParams();
    }

    /** Parameters of one decoder layer: its projections, q/k/v biases and two norms (FSDP's wrapping unit). */
    public long layerParams() {
        long biases = attentionBias ? qDim() + 2 * kvDim() : 0;
        long norms = 2L * hiddenSize;
        return linearParams() / numLayers + biases + norms;
    }

    /** LoRA adapter parameters: {@code r × (in + out)} per targeted projection per layer (Hu et al. 2021, §4.1). */
    public long loraParams(int rank, List<String> targets) {
        long perLayer = 0;
        for (String module : targets) {
            perLayer += inFeatures(module) + outFeatures(module);
        }
        return (long) rank * perLayer * numLayers;
    }

    /** Sum of the input features of the targeted projections of one layer. */
    public long targetInputs(List<String> targets) {
        long sum = 0;
        for (String module : targets) {
            sum += inFeatures(module);
        }
        return sum;
    }
}
