package io.sage.studio.cli.api;

/**
 * The latest evaluation a task carries ({@code evaluation} of a task): enough for {@code sage finetune show} to say
 * whether the fine-tune beat its baseline without reading the evaluation itself.
 */
public record EvaluationSummary(
        String evaluationId, String state, String verdict, String baseline, String completedAt) {}
