package io.sage.studio.finetune.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PairwiseJudgeTest {

    @Test
    void theWinnerFollowsTheOrderTheAnswersWereShownIn() {
        assertThat(PairwiseJudge.winner("A", true)).isEqualTo("candidate");
        assertThat(PairwiseJudge.winner("A", false)).isEqualTo("baseline");
        assertThat(PairwiseJudge.winner(" b.", true)).isEqualTo("baseline");
        assertThat(PairwiseJudge.winner("B", false)).isEqualTo("candidate");
        assertThat(PairwiseJudge.winner("TIE", true)).isEqualTo("tie");
        assertThat(PairwiseJudge.winner("Answer A", true)).isEqualTo("tie");
        assertThat(PairwiseJudge.winner("", false)).isEqualTo("tie");
    }
}
