package io.sage.studio.gpu.estimate;

/**
 * Peak GPU memory of a training run as {@code nvidia-smi} would show it for the process: a range and the
 * expected value, with what it is made of, for one GPU of the run's layout (DDP: every GPU the same; FSDP: one
 * shard). The breakdown sums to {@code expectedBytes}, except for full
 * fine-tuning, whose gradients and activations peak at different moments (the expected value counts the larger).
 *
 * @param trainableParams parameters the optimizer updates (the adapter for LoRA/QLoRA)
 */
public record MemoryEstimate(
        long params, long trainableParams, long lowBytes, long expectedBytes, long highBytes, Breakdown breakdown) {

    /**
     * @param weightsBytes the model's weights as loaded (16-bit, 8-bit or 4-bit; fp32 master copy for AMP)
     * @param adapterBytes LoRA adapter weights (fp32)
     * @param gradientsBytes gradients of the trainable parameters
     * @param optimizerBytes AdamW's two moments per trainable parameter
     * @param activationsBytes what the forward pass keeps for the backward pass, and the loss's logits
     * @param allocatorBytes what PyTorch's caching allocator holds beyond the tensors
     * @param cudaContextBytes CUDA context, kernels and library workspaces
     * @param gatheredBytes FSDP: the units held unsharded at the peak (the root unit with the embeddings and
     *        one decoder layer, with that layer's gradient before its reduce-scatter); 0 otherwise
     * @param communicationBytes several GPUs: NCCL's buffers, and for DDP its gradient buckets (a second copy
     *        of the trainable gradients); 0 on one GPU
     */
    public record Breakdown(
            long weightsBytes,
            long adapterBytes,
            long gradientsBytes,
            long optimizerBytes,
            long activationsBytes,
            long allocatorBytes,
            long cudaContextBytes,
            long gatheredBytes,
            long communicationBytes) {}
}
