package io.sage.studio.chat.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.sage.studio.chat.messaging.TrafficView;
import io.sage.studio.chat.rollout.RolloutGuards.Verdict;
import io.sage.studio.events.ChatTrafficEvent;

/** {@link RolloutGuards}: when a step holds, advances or rolls back. */
class RolloutGuardsTest {

    private static final Rollout.Guards GUARDS = new Rollout.Guards(0.02, 1.5, 20);

    @Test
    void nothingIsJudgedBeforeTheCandidateHasMinRequestsEvenWhenTheyAllFailed() {
        assertThat(RolloutGuards.judge(GUARDS, totals(100, 0, 50), totals(19, 19, 50), true))
                .isInstanceOf(Verdict.Hold.class);
    }

    @Test
    void aStepAdvancesOnlyWhenItsTimeIsOverAndTheGuardsHold() {
        assertThat(RolloutGuards.judge(GUARDS, totals(200, 0, 50), totals(20, 0, 50), false))
                .isInstanceOf(Verdict.Hold.class);
        assertThat(RolloutGuards.judge(GUARDS, totals(200, 0, 50), totals(20, 0, 50), true))
                .isInstanceOf(Verdict.Advance.class);
    }

    @Test
    void errorsAboveTheBaselinesPlusTheMarginRollBackAtOnceWithTheFiguresInTheReason() {
        Verdict verdict = RolloutGuards.judge(GUARDS, totals(200, 2, 50), totals(40, 20, 50), false);
        assertThat(verdict).isInstanceOf(Verdict.RollBack.class);
        assertThat(((Verdict.RollBack) verdict).why()).contains("20 of 40", "50.0 %", "1.0 %");
        // 1 % baseline + 2 points margin: 3 % of 100 is still within
        assertThat(RolloutGuards.judge(GUARDS, totals(200, 2, 50), totals(100, 3, 50), true))
                .isInstanceOf(Verdict.Advance.class);
    }

    @Test
    void aSlowerCandidateRollsBackButBucketNoiseAndFastEnginesDoNot() {
        assertThat(RolloutGuards.judge(GUARDS, totals(200, 0, 300), totals(40, 0, 1500), false))
                .isInstanceOf(Verdict.RollBack.class);
        // one bucket up (300 → 500 ms) is within the limit although 500 > 1.5 × 300
        assertThat(RolloutGuards.judge(GUARDS, totals(200, 0, 300), totals(40, 0, 500), true))
                .isInstanceOf(Verdict.Advance.class);
        // 10 ms against 100 ms is noise of the measurement at these speeds
        assertThat(RolloutGuards.judge(GUARDS, totals(200, 0, 10), totals(40, 0, 100), true))
                .isInstanceOf(Verdict.Advance.class);
    }

    private static TrafficView.Totals totals(long requests, long errors, long ttftMs) {
        long[] buckets = new long[ChatTrafficEvent.TTFT_BOUNDS_MS.size() + 1];
        buckets[ChatTrafficEvent.ttftBucket(ttftMs)] = requests;
        return new TrafficView.Totals(requests, errors, buckets, null);
    }
}
