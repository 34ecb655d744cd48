package io.sage.studio.chat.rollout;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonValue;

import io.sage.studio.chat.messaging.TrafficView;

/**
 * A gradual rollout of a candidate model in place of the default, as the API shows it and as it is kept in
 * {@code $STUDIO_HOME/studio/chat/rollouts/<id>.json}. Immutable; every change makes a new one.
 *
 * @param rolloutId     id
 * @param model         the candidate's served model name
 * @param baseline      the served model name of the default the rollout started from
 * @param state         where it is
 * @param weight        the candidate's share of the default's traffic now, in percent
 * @param step          index into {@code steps} of the step under way (the candidate's share is {@code steps[step]}
 *                      once it serves; 0 while it is being served)
 * @param steps         the candidate's shares, step by step, the last one 100
 * @param stepSeconds   how long a step lasts at least
 * @param guards        when a step may advance and when the rollout is rolled back
 * @param stepStartedAt when the step under way started (its figures count from there)
 * @param arms          both arms' figures in the step under way
 * @param history       what happened, oldest first
 * @param reason        why it ended, or {@code null} while it runs
 * @param createdAt     when it was asked for
 * @param finishedAt    when it ended, or {@code null}
 * @param evaluationForced {@code force} let it past the evaluation gate, which would have refused it (a {@code note}
 *                      in the history says why)
 */
public record Rollout(
        @Schema(required = true) String rolloutId,
        @Schema(required = true) String model,
        @Schema(required = true) String baseline,
        @Schema(required = true) State state,
        @Schema(required = true) int weight,
        @Schema(required = true) int step,
        @Schema(required = true) List<Integer> steps,
        @Schema(required = true) int stepSeconds,
        @Schema(required = true) Guards guards,
        @Schema(required = true) Instant stepStartedAt,
        Arms arms,
        @Schema(required = true) List<Entry> history,
        String reason,
        @Schema(required = true) Instant createdAt,
        Instant finishedAt,
        @Schema(required = true) boolean evaluationForced) {

    /** Where a rollout is. */
    public enum State {
        RUNNING,
        PROMOTED,
        ROLLED_BACK,
        ABORTED;

        @JsonValue
        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        public boolean terminal() {
            return this != RUNNING;
        }
    }

    /**
     * A rollout's guards.
     *
     * @param maxErrorRate the candidate's error rate may exceed the baseline's by this much (0.02 = 2 points)
     * @param maxTtftRatio the candidate's time-to-first-token p95 may be this many times the baseline's
     * @param minRequests  requests the candidate must have had in a step before it is judged or advanced
     */
    public record Guards(
            @Schema(required = true) double maxErrorRate,
            @Schema(required = true) double maxTtftRatio,
            @Schema(required = true) int minRequests) {}

    /**
     * One arm's figures over a period.
     *
     * @param model     served model name
     * @param requests  requests the gateways sent it
     * @param errors    failed ones
     * @param errorRate errors per request
     * @param ttftP50Ms time to first token, median (upper bound of its bucket), or {@code null} without samples
     * @param ttftP95Ms time to first token, 95th percentile, or {@code null}
     */
    public record Arm(
            @Schema(required = true) String model,
            @Schema(required = true) long requests,
            @Schema(required = true) long errors,
            @Schema(required = true) double errorRate,
            Long ttftP50Ms,
            Long ttftP95Ms) {

        static Arm of(String model, TrafficView.Totals totals) {
            return new Arm(
                    model,
                    totals.requests(),
                    totals.errors(),
                    totals.errorRate(),
                    totals.ttftMs(0.5),
                    totals.ttftMs(0.95));
        }
    }

    /**
     * Both arms.
     *
     * @param baseline the default the rollout started from
     * @param candidate the model rolled out
     */
    public record Arms(Arm baseline, Arm candidate) {}

    /**
     * One event of a rollout's history.
     *
     * @param at        when
     * @param weight    the candidate's share after it
     * @param event     {@code started}, {@code serving}, {@code advanced}, {@code promoted}, {@code rolled_back},
     *                  {@code aborted} or {@code note}
     * @param message   what happened, in a sentence
     * @param baseline  the baseline's figures of the step that ended, or {@code null}
     * @param candidate the candidate's figures of the step that ended, or {@code null}
     */
    public record Entry(
            @Schema(required = true) Instant at,
            @Schema(required = true) int weight,
            @Schema(required = true) String event,
            @Schema(required = true) String message,
            Arm baseline,
            Arm candidate) {}

    public Rollout {
        steps = List.copyOf(steps);
        history = List.copyOf(history);
    }

    Rollout with(Entry entry) {
        List<Entry> more = new ArrayList<>(history);
        more.add(entry);
        return new Rollout(
                rolloutId,
                model,
                baseline,
                state,
                weight,
                step,
                steps,
                stepSeconds,
                guards,
                stepStartedAt,
                arms,
                more,
                reason,
                createdAt,
                finishedAt,
                evaluationForced);
    }

    Rollout atStep(int newStep, int newWeight, Instant startedAt) {
        return new Rollout(
                rolloutId,
                model,
                baseline,
                state,
                newWeight,
                newStep,
                steps,
                stepSeconds,
                guards,
                startedAt,
                null,
                history,
                reason,
                createdAt,
                finishedAt,
                evaluationForced);
    }

    Rollout withArms(Arms newArms) {
        return new Rollout(
                rolloutId,
                model,
                baseline,
                state,
                weight,
                step,
                steps,
                stepSeconds,
                guards,
                stepStartedAt,
                newArms,
                history,
                reason,
                createdAt,
                finishedAt,
                evaluationForced);
    }

    Rollout ended(State newState, int newWeight, String why, Instant at) {
        return new Rollout(
                rolloutId,
                model,
                baseline,
                newState,
                newWeight,
                step,
                steps,
                stepSeconds,
                guards,
                stepStartedAt,
                arms,
                history,
                why,
                createdAt,
                at,
                evaluationForced);
    }
}
