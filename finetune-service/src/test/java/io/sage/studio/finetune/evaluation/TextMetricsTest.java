package io.sage.studio.finetune.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;

import org.junit.jupiter.api.Test;

class TextMetricsTest {

    @Test
    void exactMatchComparesNormalisedText() {
        assertThat(TextMetrics.exactMatch("  Paris! ", "paris")).isEqualTo(1.0);
        assertThat(TextMetrics.exactMatch("Ｐａｒｉｓ", "paris")).isEqualTo(1.0);
        assertThat(TextMetrics.exactMatch("Paris, France", "Paris")).isEqualTo(0.0);
    }

    @Test
    void tokenF1CountsTheOverlapOfWordBags() {
        // answer: the cat sat (3), reference: the cat sat down (4), common 3 -> p 1, r 0.75, f1 6/7
        assertThat(TextMetrics.tokenF1("The cat sat.", "the cat sat down")).isCloseTo(6.0 / 7, within(1e-9));
        // repeated words count once per occurrence in the reference
        assertThat(TextMetrics.tokenF1("a a a", "a b")).isCloseTo(2 * (1.0 / 3) * 0.5 / (1.0 / 3 + 0.5), within(1e-9));
        assertThat(TextMetrics.tokenF1("x", "y")).isZero();
        assertThat(TextMetrics.tokenF1("", "")).isEqualTo(1.0);
        assertThat(TextMetrics.tokenF1("", "y")).isZero();
    }

    @Test
    void rougeLUsesTheLongestCommonSubsequence() {
        // same words, different order: bag overlap is total, the subsequence is not
        assertThat(TextMetrics.tokenF1("c b a", "a b c")).isEqualTo(1.0);
        assertThat(TextMetrics.rougeL("c b a", "a b c")).isCloseTo(1.0 / 3, within(1e-9));
        assertThat(TextMetrics.lcs(List.of("a", "x", "b", "c"), List.of("a", "b", "y", "c")))
                .isEqualTo(3);
        assertThat(TextMetrics.rougeL("a x b c", "a b y c")).isCloseTo(0.75, within(1e-9));
    }

    @Test
    void veryLongAnswersAreCut() {
        String longText = "w ".repeat(TextMetrics.MAX_WORDS * 3);
        assertThat(TextMetrics.words(longText)).hasSize(TextMetrics.MAX_WORDS);
        assertThat(TextMetrics.rougeL(longText, longText)).isEqualTo(1.0);
    }
}
