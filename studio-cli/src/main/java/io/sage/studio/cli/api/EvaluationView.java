package io.sage.studio.cli.api;

import java.util.List;
import java.util.Set;

/**
 * An evaluation of a completed task against a baseline ({@code POST/GET /api/finetune/tasks/{id}/evaluations[/{eid}]}),
 * as {@code sage eval} reads it. Every figure is boxed: the service writes {@code null} for what it could not compute
 * (loss and perplexity without log-likelihoods, the judge's win rate without a judge), and this CLI prints a dash.
 *
 * @param state   {@code queued}, {@code running}, {@code completed} or {@code failed}
 * @param verdict {@code better}, {@code worse}, {@code inconclusive}, or {@code null} until completed
 */
public record EvaluationView(
        String evaluationId,
        String taskId,
        String state,
        String baseline,
        String candidateModel,
        String baselineModel,
        EvalSet evalSet,
        Integer maxSamples,
        Integer maxTokens,
        Progress progress,
        String createdAt,
        String startedAt,
        String completedAt,
        MetricsPair metrics,
        List<Sample> samples,
        String verdict,
        String verdictReason,
        Failure error) {

    private static final Set<String> ACTIVE = Set.of("queued", "running");

    public EvaluationView {
        samples = samples == null ? List.of() : samples;
    }

    /** Whether it has ended (a state this CLI does not know counts as ended: nothing more to wait for). */
    public boolean ended() {
        return state == null || !ACTIVE.contains(state);
    }

    /** Where the samples came from ({@code validation_split}, {@code held_out}, {@code training_sample}, {@code eval_file}) and how many. */
    public record EvalSet(String source, Integer samples) {}

    public record Progress(Integer done, Integer total) {}

    public record MetricsPair(Metrics candidate, Metrics baseline) {}

    /** One arm's figures averaged over the samples; ratios are 0–1. */
    public record Metrics(
            Integer samples,
            Double exactMatch,
            Double tokenF1,
            Double rougeL,
            Double avgAnswerChars,
            Double avgLatencyMs,
            Double loss,
            Double perplexity,
            Double judgeWinRate) {}

    public record Sample(String prompt, String reference, String candidate, String baseline, String judgeWinner) {}

    public record Failure(String code, String message) {}
}
