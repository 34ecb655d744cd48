package io.sage.studio.chat.api;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * Body of {@code POST /api/chat/switch}: exactly one of {@code model} and {@code task_id}.
 *
 * @param model    a base model id, a registered fine-tuned model (id or path), or a model directory in the studio home
 * @param taskId   a completed fine-tuning task
 * @param strategy {@code auto} (default), {@code lora-hot-load}, {@code blue-green} or {@code recreate}
 * @param requireEvaluation a task's model needs a completed evaluation whose verdict is not {@code worse} (409
 *                 {@code evaluation_missing} / {@code evaluation_worse}); unset: {@code studio.chat.require-evaluation}
 * @param force    switch although the evaluation gate refuses; recorded on the operation ({@code evaluation_forced})
 * @param tensorParallelSize GPUs a new engine shards the model over ({@code --tensor-parallel-size}): a power of two,
 *                 at most the node's GPUs, dividing the model's attention heads (else 400 naming the field); unset:
 *                 the smallest that fits, from the model's size and the GPUs' memory
 */
public record SwitchRequest(
        String model,
        String taskId,
        String strategy,
        Boolean requireEvaluation,
        Boolean force,
        @Schema(minimum = "1", maximum = "64") Integer tensorParallelSize) {}
