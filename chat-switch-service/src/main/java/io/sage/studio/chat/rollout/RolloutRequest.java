package io.sage.studio.chat.rollout;

import java.util.List;

import io.sage.studio.common.error.StudioException;

/**
 * Body of {@code POST /api/chat/rollouts}; every field but {@code model} has a default.
 *
 * @param model        the candidate: a model served by name (served name, task id or model id)
 * @param steps        the candidate's share of the default's traffic, step by step, in percent: increasing, each
 *                     1–100, the last 100 (default 10, 50, 100)
 * @param stepSeconds  how long a step lasts at least (default 60)
 * @param maxErrorRate how far the candidate's error rate may exceed the baseline's (default 0.02)
 * @param maxTtftRatio how many times the baseline's time-to-first-token p95 the candidate's may be (default 1.5)
 * @param minRequests  requests the candidate needs in a step before it is judged or advanced (default 20)
 * @param requireEvaluation a task's model needs a completed evaluation that is not {@code worse} (default
 *                     {@code studio.chat.require-evaluation})
 * @param force        roll out although the evaluation gate refuses; recorded ({@code evaluation_forced}, a note)
 */
public record RolloutRequest(
        String model,
        List<Integer> steps,
        Integer stepSeconds,
        Double maxErrorRate,
        Double maxTtftRatio,
        Integer minRequests,
        Boolean requireEvaluation,
        Boolean force) {

    static final List<Integer> DEFAULT_STEPS = List.of(10, 50, 100);
    static final int MAX_STEPS = 20;

    /** The request with its defaults filled in; 400 {@code invalid_field} naming the first bad field. */
    public Valid validated() {
        if (model == null || model.isBlank()) {
            throw StudioException.invalidField("model", "name the model to roll out (a served name or task id)");
        }
        List<Integer> s = steps == null || steps.isEmpty() ? DEFAULT_STEPS : steps;
        if (s.size() > MAX_STEPS) {
            throw StudioException.invalidField("steps", "at most " + MAX_STEPS + " steps");
        }
        int previous = 0;
        for (Integer step : s) {
            if (step == null || step < 1 || step > 100 || step <= previous) {
                throw StudioException.invalidField(
                        "steps", "steps are percentages from 1 to 100, each above the one before, e.g. [10, 50, 100]");
            }
            previous = step;
        }
        if (previous != 100) {
            throw StudioException.invalidField("steps", "the last step must be 100 (the candidate takes over)");
        }
        int seconds = stepSeconds == null ? 60 : stepSeconds;
        if (seconds < 1 || seconds > 86_400) {
            throw StudioException.invalidField("step_seconds", "step_seconds must be between 1 and 86400");
        }
        double errors = maxErrorRate == null ? 0.02 : maxErrorRate;
        if (!(errors >= 0 && errors <= 1)) {
            throw StudioException.invalidField("max_error_rate", "max_error_rate is a fraction between 0 and 1");
        }
        double ttft = maxTtftRatio == null ? 1.5 : maxTtftRatio;
        if (!(ttft >= 1 && ttft <= 100)) {
            throw StudioException.invalidField("max_ttft_ratio", "max_ttft_ratio must be between 1 and 100");
        }
        int min = minRequests == null ? 20 : minRequests;
        if (min < 1 || min > 1_000_000) {
            throw StudioException.invalidField("min_requests", "min_requests must be between 1 and 1000000");
        }
        return new Valid(model.strip(), List.copyOf(s), seconds, new Rollout.Guards(errors, ttft, min));
    }

    /**
     * A checked request.
     *
     * @param model       the candidate
     * @param steps       the shares
     * @param stepSeconds the least time of a step
     * @param guards      the guards
     */
    public record Valid(String model, List<Integer> steps, int stepSeconds, Rollout.Guards guards) {}
}
