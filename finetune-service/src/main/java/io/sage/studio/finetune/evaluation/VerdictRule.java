package io.sage.studio.finetune.evaluation;

import java.util.Locale;

/**
 * Decides whether the candidate is better than, worse than or no different from the baseline, and says why in one
 * sentence with the rule and the numbers (the gate on switches and rollouts refuses {@code worse}). Pure, so the
 * rule is tested on its own:
 *
 * <ul>
 *   <li>fewer than {@value #MIN_SAMPLES} samples: always {@code inconclusive};
 *   <li>with a judge: {@code better} when the candidate's win rate (ties count half) is at least
 *       {@value #JUDGE_BETTER}, {@code worse} when it is at most 1 − that, else {@code inconclusive};
 *   <li>without: {@code better} when the candidate's token-F1 exceeds the baseline's by at least {@value #MARGIN} and
 *       its ROUGE-L is not lower by more than {@value #MARGIN}; {@code worse} symmetrically (token-F1 lower by at
 *       least the margin and ROUGE-L not higher by more than it); else {@code inconclusive}.
 * </ul>
 */
public final class VerdictRule {

    public static final int MIN_SAMPLES = 10;
    public static final double MARGIN = 0.02;
    public static final double JUDGE_BETTER = 0.55;

    /** The decision and its explanation. */
    public record Decision(String verdict, String reason) {}

    private VerdictRule() {}

    public static Decision decide(Evaluation.Metrics candidate, Evaluation.Metrics baseline) {
        int n = Math.min(candidate.samples(), baseline.samples());
        if (n < MIN_SAMPLES) {
            return new Decision(
                    "inconclusive",
                    String.format(
                            Locale.ROOT,
                            "inconclusive: only %d sample(s) were compared; a verdict needs at least %d",
                            n,
                            MIN_SAMPLES));
        }
        Double winRate = candidate.judgeWinRate();
        if (winRate != null) {
            double worseAt = 1 - JUDGE_BETTER;
            String numbers = String.format(
                    Locale.ROOT,
                    "the judge preferred the candidate in %.3f of %d pairwise comparisons (ties count half); the rule: "
                            + "better at >= %.2f, worse at <= %.2f",
                    winRate,
                    n,
                    JUDGE_BETTER,
                    worseAt);
            if (winRate >= JUDGE_BETTER - 1e-9) {
                return new Decision("better", "better: " + numbers);
            }
            if (winRate <= worseAt + 1e-9) {
                return new Decision("worse", "worse: " + numbers);
            }
            return new Decision("inconclusive", "inconclusive: " + numbers);
        }
        double f1 = candidate.tokenF1() - baseline.tokenF1();
        double rouge = candidate.rougeL() - baseline.rougeL();
        String numbers = String.format(
                Locale.ROOT,
                "token-F1 %.3f vs %.3f (%+.3f), ROUGE-L %.3f vs %.3f (%+.3f) over %d samples; the rule: better when "
                        + "token-F1 is higher by >= %.2f and ROUGE-L not lower by more than %.2f, worse when "
                        + "token-F1 is lower by >= %.2f and ROUGE-L not higher by more than %.2f",
                candidate.tokenF1(),
                baseline.tokenF1(),
                f1,
                candidate.rougeL(),
                baseline.rougeL(),
                rouge,
                n,
                MARGIN,
                MARGIN,
                MARGIN,
                MARGIN);
        double eps = 1e-9;
        if (f1 >= MARGIN - eps && rouge >= -MARGIN - eps) {
            return new Decision("better", "better: " + numbers);
        }
        if (f1 <= -MARGIN + eps && rouge <= MARGIN + eps) {
            return new Decision("worse", "worse: " + numbers);
        }
        return new Decision("inconclusive", "inconclusive: " + numbers);
    }
}
