package io.sage.studio.finetune.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class VerdictRuleTest {

    private static Evaluation.Metrics m(int n, double f1, double rouge, Double judge) {
        return new Evaluation.Metrics(n, 0, f1, rouge, 100, 10, null, null, judge);
    }

    @Test
    void fewerThanTenSamplesAreAlwaysInconclusive() {
        VerdictRule.Decision d = VerdictRule.decide(m(9, 0.9, 0.9, null), m(9, 0.1, 0.1, null));
        assertThat(d.verdict()).isEqualTo("inconclusive");
        assertThat(d.reason()).contains("only 9 sample(s)").contains("at least 10");
        assertThat(VerdictRule.decide(m(10, 0.9, 0.9, null), m(10, 0.1, 0.1, null))
                        .verdict())
                .isEqualTo("better");
    }

    @Test
    void betterNeedsHigherTokenF1AndRougeNotMuchLower() {
        VerdictRule.Decision d = VerdictRule.decide(m(50, 0.52, 0.40, null), m(50, 0.50, 0.41, null));
        assertThat(d.verdict()).isEqualTo("better");
        assertThat(d.reason()).contains("token-F1 0.520 vs 0.500 (+0.020)").contains("ROUGE-L 0.400 vs 0.410 (-0.010)");
        // F1 up but ROUGE-L down by more than the margin: no verdict either way
        assertThat(VerdictRule.decide(m(50, 0.60, 0.30, null), m(50, 0.50, 0.35, null))
                        .verdict())
                .isEqualTo("inconclusive");
        // below the margin
        assertThat(VerdictRule.decide(m(50, 0.515, 0.5, null), m(50, 0.50, 0.5, null))
                        .verdict())
                .isEqualTo("inconclusive");
    }

    @Test
    void worseIsSymmetric() {
        VerdictRule.Decision d = VerdictRule.decide(m(50, 0.40, 0.41, null), m(50, 0.50, 0.40, null));
        assertThat(d.verdict()).isEqualTo("worse");
        assertThat(d.reason()).startsWith("worse: token-F1 0.400 vs 0.500 (-0.100)");
        assertThat(VerdictRule.decide(m(50, 0.40, 0.45, null), m(50, 0.50, 0.40, null))
                        .verdict())
                .isEqualTo("inconclusive");
    }

    @Test
    void aJudgeDecidesByWinRate() {
        assertThat(VerdictRule.decide(m(20, 0.1, 0.1, 0.55), m(20, 0.9, 0.9, 0.45))
                        .verdict())
                .isEqualTo("better");
        VerdictRule.Decision worse = VerdictRule.decide(m(20, 0.9, 0.9, 0.40), m(20, 0.1, 0.1, 0.60));
        assertThat(worse.verdict()).isEqualTo("worse");
        assertThat(worse.reason()).contains("0.400 of 20 pairwise comparisons");
        assertThat(VerdictRule.decide(m(20, 0.9, 0.1, 0.5), m(20, 0.1, 0.1, 0.5))
                        .verdict())
                .isEqualTo("inconclusive");
    }
}
