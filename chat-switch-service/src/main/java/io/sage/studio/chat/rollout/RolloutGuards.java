package io.sage.studio.chat.rollout;

import java.util.Locale;

import io.sage.studio.chat.messaging.TrafficView;
import io.sage.studio.events.ChatTrafficEvent;

/**
 * Judges a rollout's step from both arms' figures in it; no state, no clock of its own.
 *
 * <p>Nothing is judged before the candidate has {@code min_requests} in the step. Then it is rolled back at once when
 * its error rate exceeds the baseline's by more than {@code max_error_rate}, or its time-to-first-token p95 exceeds
 * {@code max_ttft_ratio} times the baseline's. Times are counted in the gateways' buckets
 * ({@link ChatTrafficEvent#TTFT_BOUNDS_MS}), so the limit is never below the bound of the bucket above the
 * baseline's (two samples a bucket apart are not a regression), and a p95 of at most {@link #TTFT_NOISE_MS} never
 * breaches: below that a fast engine's times are the measurement's noise. Otherwise the step advances once
 * {@code step_seconds} have passed.
 */
final class RolloutGuards {

    static final long TTFT_NOISE_MS = 100;

    private RolloutGuards() {}

    /** What to do with the step. */
    sealed interface Verdict {
        /** Not enough requests yet, or the step's time is not over. */
        record Hold() implements Verdict {}

        /** The step passed. */
        record Advance() implements Verdict {}

        /** A guard failed: {@code why} says which, with the figures. */
        record RollBack(String why) implements Verdict {}
    }

    static Verdict judge(
            Rollout.Guards guards, TrafficView.Totals baseline, TrafficView.Totals candidate, boolean stepTimeOver) {
        if (candidate.requests() < guards.minRequests()) {
            return new Verdict.Hold();
        }
        double limit = baseline.errorRate() + guards.maxErrorRate();
        if (candidate.errorRate() > limit) {
            return new Verdict.RollBack(String.format(
                    Locale.ROOT,
                    "the candidate failed %d of %d requests (%.1f %%), above the baseline's %.1f %% + %.1f points",
                    candidate.errors(),
                    candidate.requests(),
                    100 * candidate.errorRate(),
                    100 * baseline.errorRate(),
                    100 * guards.maxErrorRate()));
        }
        Long candidateP95 = candidate.ttftMs(0.95);
        Long baselineP95 = baseline.ttftMs(0.95);
        if (candidateP95 != null && baselineP95 != null && candidateP95 > TTFT_NOISE_MS) {
            double ttftLimit = Math.max(guards.maxTtftRatio() * baselineP95, nextBound(baselineP95));
            if (candidateP95 > ttftLimit) {
                return new Verdict.RollBack(String.format(
                        Locale.ROOT,
                        "the candidate's time to first token (p95 %d ms) is above %.1f × the baseline's (%d ms)",
                        candidateP95,
                        guards.maxTtftRatio(),
                        baselineP95));
            }
        }
        return stepTimeOver ? new Verdict.Advance() : new Verdict.Hold();
    }

    /** The upper bound of the bucket above the one {@code bound} closes. */
    private static long nextBound(long bound) {
        var bounds = ChatTrafficEvent.TTFT_BOUNDS_MS;
        for (int i = 0; i < bounds.size(); i++) {
            if (bound <= bounds.get(i)) {
                return i + 1 < bounds.size() ? bounds.get(i + 1) : 2 * bounds.get(bounds.size() - 1);
            }
        }
        return 2 * bound;
    }
}
