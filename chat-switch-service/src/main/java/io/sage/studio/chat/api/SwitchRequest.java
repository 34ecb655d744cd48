package io.sage.studio.chat.api;

/**
 * Body of {@code POST /api/chat/switch}: exactly one of {@code model} and {@code task_id}.
 *
 * @param model    a base model id, a registered fine-tuned model (id or path), or a model directory in the studio home
 * @param taskId   a completed fine-tuning task
 * @param strategy {@code auto} (default), {@code lora-hot-load}, {@code blue-green} or {@code recreate}
 * @param requireEvaluation a task's model needs a completed evaluation whose verdict is not {@code worse} (409
 *                 {@code evaluation_missing} / {@code evaluation_worse}); unset: {@code studio.chat.require-evaluation}
 * @param force    switch although the evaluation gate refuses; recorded on the operation ({@code evaluation_forced})
 */
public record SwitchRequest(String model, String taskId, String strategy, Boolean requireEvaluation, Boolean force) {}
