package io.sage.studio.finetune.evaluation;

import java.time.Instant;
import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.sage.studio.finetune.domain.EvaluationSummary;

/**
 * One evaluation of a completed task's model against a baseline, as the API shows it and as
 * {@code evaluations/<id>.json} in the task folder stores it (the file is this record, written whole and atomically
 * at every change). Immutable; the runner replaces it with the {@code with…} copies.
 *
 * @param evaluationId   the run's id ({@code ev-…})
 * @param taskId         the evaluated task
 * @param state          {@code queued|running|completed|failed}
 * @param baseline       what was asked for: {@code base} or a model id, served name or task id
 * @param candidateModel the served name the candidate answered under ({@code null} until served)
 * @param baselineModel  the served name the baseline answered under ({@code null} until served)
 * @param evalSet        where the samples come from and how many were used
 * @param maxSamples     the most samples asked for
 * @param maxTokens      the answer length limit of every generation
 * @param judge          the pairwise judge ({@code null}: none); its API key is never stored
 * @param progress       samples answered by both arms, of all
 * @param metrics        both arms' scores once completed
 * @param samples        every sample with both answers ({@code null} in lists)
 * @param verdict        {@code better|worse|inconclusive} once completed
 * @param verdictReason  the rule and the numbers behind the verdict
 * @param error          why it failed
 */
@RegisterForReflection
@Schema(name = "Evaluation", description = "an evaluation of a completed task's model against a baseline")
public record Evaluation(
        @Schema(required = true) String evaluationId,
        @Schema(required = true) String taskId,

        @Schema(
                required = true,
                enumeration = {"queued", "running", "completed", "failed"})
        String state,

        @Schema(required = true) String baseline,
        String candidateModel,
        String baselineModel,
        @Schema(required = true) EvalSet evalSet,
        @Schema(required = true) int maxSamples,
        @Schema(required = true) int maxTokens,
        JudgeView judge,
        @Schema(required = true) Progress progress,
        @Schema(required = true) Instant createdAt,
        Instant startedAt,
        Instant completedAt,
        MetricsPair metrics,
        List<Sample> samples,

        @Schema(enumeration = {"better", "worse", "inconclusive"})
        String verdict,

        String verdictReason,
        Failure error) {

    public static final String QUEUED = "queued";
    public static final String RUNNING = "running";
    public static final String COMPLETED = "completed";
    public static final String FAILED = "failed";

    /**
     * The samples' origin and how many were used: {@code validation_split} (the task's validation set),
     * {@code held_out} (the 5 % of its dataset the task kept out of training), {@code training_sample} (every 20th
     * row it trained on: a task created before tasks held rows out, or too small to spare one) or {@code eval_file}.
     */
    @RegisterForReflection
    @Schema(name = "EvaluationSet")
    public record EvalSet(
            @Schema(
                    required = true,
                    enumeration = {"validation_split", "held_out", "training_sample", "eval_file"})
            String source,

            @Schema(required = true) int samples) {}

    /** The judge as shown (no key, no key variable). */
    @RegisterForReflection
    @Schema(name = "EvaluationJudge")
    public record JudgeView(
            @Schema(required = true) String baseUrl,
            @Schema(required = true) String model) {}

    @RegisterForReflection
    @Schema(name = "EvaluationProgress")
    public record Progress(
            @Schema(required = true) int done,
            @Schema(required = true) int total) {}

    @RegisterForReflection
    @Schema(name = "EvaluationMetricsPair")
    public record MetricsPair(
            @Schema(required = true) Metrics candidate,
            @Schema(required = true) Metrics baseline) {}

    /**
     * One arm's scores, averaged over the samples (each 0–1 but the lengths and latencies).
     *
     * @param loss         {@code null}: the serving layer gives no per-token log-likelihoods (see DESIGN.md)
     * @param perplexity   {@code null}, as {@code loss}
     * @param judgeWinRate the share of pairwise comparisons this arm won (ties half), {@code null} without a judge
     */
    @RegisterForReflection
    @Schema(name = "EvaluationMetrics")
    public record Metrics(
            @Schema(required = true) int samples,
            @Schema(required = true) double exactMatch,
            @Schema(required = true) double tokenF1,
            @Schema(required = true) double rougeL,
            @Schema(required = true) double avgAnswerChars,
            @Schema(required = true) double avgLatencyMs,
            Double loss,
            Double perplexity,
            Double judgeWinRate) {}

    /**
     * One sample: the last user message before the reference, the reference (the record's last assistant message)
     * and both answers.
     */
    @RegisterForReflection
    @Schema(name = "EvaluationSample")
    public record Sample(
            @Schema(required = true) String prompt,
            @Schema(required = true) String reference,
            @Schema(required = true) String candidate,
            @Schema(required = true) String baseline,

            @Schema(enumeration = {"candidate", "baseline", "tie"})
            String judgeWinner) {}

    @RegisterForReflection
    @Schema(name = "EvaluationError")
    public record Failure(
            @Schema(required = true) String code,
            @Schema(required = true) String message) {}

    /** Whether it is queued or running. */
    public boolean active() {
        return QUEUED.equals(state) || RUNNING.equals(state);
    }

    /** The summary the task carries. */
    public EvaluationSummary summary() {
        return new EvaluationSummary(evaluationId, state, verdict, baseline, completedAt);
    }

    /** The list view: everything but the samples. */
    public Evaluation withoutSamples() {
        return new Evaluation(
                evaluationId,
                taskId,
                state,
                baseline,
                candidateModel,
                baselineModel,
                evalSet,
                maxSamples,
                maxTokens,
                judge,
                progress,
                createdAt,
                startedAt,
                completedAt,
                metrics,
                null,
                verdict,
                verdictReason,
                error);
    }

    public Evaluation running(String candidate, String baselineServed, Instant now) {
        return new Evaluation(
                evaluationId,
                taskId,
                RUNNING,
                baseline,
                candidate,
                baselineServed,
                evalSet,
                maxSamples,
                maxTokens,
                judge,
                progress,
                createdAt,
                now,
                null,
                null,
                null,
                null,
                null,
                null);
    }

    public Evaluation withProgress(int done) {
        return new Evaluation(
                evaluationId,
                taskId,
                state,
                baseline,
                candidateModel,
                baselineModel,
                evalSet,
                maxSamples,
                maxTokens,
                judge,
                new Progress(done, progress.total()),
                createdAt,
                startedAt,
                completedAt,
                metrics,
                samples,
                verdict,
                verdictReason,
                error);
    }

    public Evaluation completed(MetricsPair scores, List<Sample> answered, VerdictRule.Decision decision, Instant now) {
        return new Evaluation(
                evaluationId,
                taskId,
                COMPLETED,
                baseline,
                candidateModel,
                baselineModel,
                evalSet,
                maxSamples,
                maxTokens,
                judge,
                new Progress(answered.size(), progress.total()),
                createdAt,
                startedAt,
                now,
                scores,
                List.copyOf(answered),
                decision.verdict(),
                decision.reason(),
                null);
    }

    public Evaluation failed(String code, String message, Instant now) {
        return new Evaluation(
                evaluationId,
                taskId,
                FAILED,
                baseline,
                candidateModel,
                baselineModel,
                evalSet,
                maxSamples,
                maxTokens,
                judge,
                progress,
                createdAt,
                startedAt,
                now,
                null,
                null,
                null,
                null,
                new Failure(code, message));
    }
}
