package io.sage.studio.cli.api;

import java.util.List;
import java.util.Set;

/**
 * {@code /api/chat/rollouts}: a candidate model taking a growing share of {@code sage-chat} traffic from the baseline,
 * step by step, rolled back at once when its guards are breached.
 *
 * @param model the candidate's served name
 * @param baseline the served name of the default when the rollout started
 * @param state {@code running}, {@code promoted}, {@code rolled_back} or {@code aborted}
 * @param weight the candidate's share now, in percent
 * @param step index into {@code steps}
 * @param arms both arms' figures in the current step
 * @param reason why it ended
 */
public record Rollout(
        String rolloutId,
        String model,
        String baseline,
        String state,
        Double weight,
        Integer step,
        List<Integer> steps,
        Integer stepSeconds,
        Guards guards,
        Arms arms,
        List<Event> history,
        String reason,
        String createdAt,
        String finishedAt) {

    private static final Set<String> ENDED = Set.of("promoted", "rolled_back", "aborted");

    public Rollout {
        steps = steps == null ? List.of() : steps;
        history = history == null ? List.of() : history;
    }

    /** Whether the rollout has ended (any state but {@code running} this CLI knows). */
    public boolean ended() {
        return state != null && ENDED.contains(state);
    }

    /** When the candidate is held back: error rate above the baseline's plus this, TTFT p95 above this × baseline. */
    public record Guards(Double maxErrorRate, Double maxTtftRatio, Integer minRequests) {}

    /** Both arms of the current step. */
    public record Arms(Arm baseline, Arm candidate) {}

    /** One model's figures in a step. */
    public record Arm(String model, Long requests, Long errors, Double errorRate, Double ttftP50Ms, Double ttftP95Ms) {}

    /**
     * One change of the rollout, with both arms' figures at that moment.
     *
     * @param event {@code started}, {@code advanced}, {@code promoted}, {@code rolled_back} or {@code aborted}
     */
    public record Event(String at, Double weight, String event, String message, Arm baseline, Arm candidate) {}
}
