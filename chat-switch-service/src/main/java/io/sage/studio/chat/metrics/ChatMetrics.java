package io.sage.studio.chat.metrics;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.inject.Singleton;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sage.studio.chat.rollout.Rollout;
import io.sage.studio.chat.switching.SwitchOperation;

/**
 * The switch and rollout meters Prometheus scrapes from {@code /q/metrics} (names in docs/operator-guide.md,
 * "Metrics"): {@code studio_chat_switch_duration_seconds{strategy,outcome}} (request to end of each switch),
 * {@code studio_chat_rollout_duration_seconds{outcome}}, {@code studio_chat_rollout_steps_total{event}} (a step
 * applied: advanced, or resumed after a restart) and {@code studio_chat_rollout_weight{arm,model}} (each arm's share of
 * the default's traffic in percent, of the latest rollout only: a new rollout's first step replaces the previous one's,
 * so there are at most two series).
 *
 * <p>Views of an operation or rollout reach here on every change; each one that ended is timed once (the last
 * {@value #REMEMBERED} ended ids are remembered, a view repeated after the end is not counted again).
 */
@Singleton
public class ChatMetrics {

    static final int REMEMBERED = 256;

    private final MeterRegistry registry;
    private final Map<String, Boolean> ended = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED;
        }
    };
    private final AtomicInteger candidateWeight = new AtomicInteger();
    private List<Meter> weights = List.of();
    private String weightsOf;

    public ChatMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** A new view of a switch operation; an ended one is timed by strategy and outcome. */
    public void switched(SwitchOperation op) {
        if (!op.state().terminal() || op.timings() == null || op.timings().requestedAt() == null || !first(op.id())) {
            return;
        }
        Instant end = op.timings().finishedAt() != null ? op.timings().finishedAt() : Instant.now();
        String outcome = op.error() == null ? "succeeded" : op.rolledBack() ? "rolled_back" : "failed";
        Timer.builder("studio.chat.switch.duration")
                .description("From a switch being asked for to its end, by strategy and outcome")
                .tag(
                        "strategy",
                        op.strategy() == null ? "unknown" : op.strategy().wire())
                .tag("outcome", outcome)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(100))
                .maximumExpectedValue(Duration.ofHours(1))
                .register(registry)
                .record(Duration.between(op.timings().requestedAt(), end).abs());
    }

    /** A rollout step was applied ({@code event}: advanced or resumed); the arms' weights follow it. */
    public synchronized void rolloutStep(Rollout rollout, String event) {
        Counter.builder("studio.chat.rollout.steps")
                .description("Rollout steps applied, by event")
                .tag("event", event)
                .register(registry)
                .increment();
        if (!rollout.rolloutId().equals(weightsOf)) {
            removeWeights();
            weightsOf = rollout.rolloutId();
            weights = List.of(
                    Gauge.builder("studio.chat.rollout.weight", candidateWeight, AtomicInteger::get)
                            .description("Each arm's share of the default's traffic during a rollout, percent")
                            .tag("arm", "candidate")
                            .tag("model", rollout.model())
                            .register(registry),
                    Gauge.builder("studio.chat.rollout.weight", candidateWeight, w -> 100 - w.get())
                            .description("Each arm's share of the default's traffic during a rollout, percent")
                            .tag("arm", "baseline")
                            .tag("model", rollout.baseline())
                            .register(registry));
        }
        candidateWeight.set(rollout.weight());
    }

    /**
     * A rollout ended: timed by outcome (promoted, rolled_back, aborted); its weights show where it ended (the
     * candidate's 100 after a promotion, 0 after a roll-back) until the next rollout's first step replaces them.
     */
    public synchronized void rolloutEnded(Rollout rollout) {
        if (rollout.rolloutId().equals(weightsOf)) {
            candidateWeight.set(rollout.weight());
        }
        if (!rollout.state().terminal() || !first(rollout.rolloutId())) {
            return;
        }
        Instant end = rollout.finishedAt() != null ? rollout.finishedAt() : Instant.now();
        Timer.builder("studio.chat.rollout.duration")
                .description("From a rollout being asked for to its end, by outcome")
                .tag("outcome", rollout.state().wire())
                .register(registry)
                .record(Duration.between(rollout.createdAt(), end).abs());
    }

    private void removeWeights() {
        weights.forEach(registry::remove);
        weights = List.of();
        weightsOf = null;
    }

    private boolean first(String id) {
        synchronized (ended) {
            return ended.put(id, Boolean.TRUE) == null;
        }
    }
}
