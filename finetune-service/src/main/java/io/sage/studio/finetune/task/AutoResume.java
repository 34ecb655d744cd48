package io.sage.studio.finetune.task;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * When a trainer that died is started again by the service from its latest checkpoint: the OOM killer, a lost node,
 * an evicted or preempted pod, a SIGKILL end a run without the trainer's own error record (or with its
 * {@code cancelled}, when the signal was not the studio's), and the next attempt usually gets through. A failure the trainer explained ({@code dataset_invalid}, {@code missing_dependency},
 * {@code cuda_oom}, …) would only fail again, so it is never retried automatically (a user may still retry it).
 *
 * @param maxAttempts attempts of a task in all, the first included ({@code 1}: never resumed automatically)
 * @param backoff     the wait before the second attempt, the third, …; the last one repeats
 */
public record AutoResume(int maxAttempts, List<Duration> backoff) {

    /**
     * The error codes of a run that may be resumed automatically: the trainer ended without saying why (the service's
     * {@code trainer_exit} and {@code trainer_lost}), or it was stopped by a signal the studio did not send
     * ({@code cancelled} without a cancel or pause requested, which decide the outcome before any code: an evicted or
     * preempted pod, a node shutting down — the trainer checkpointed on the way out). Every other code the trainer
     * writes is final.
     */
    static final Set<String> RETRYABLE = Set.of("trainer_exit", "trainer_lost", "cancelled");

    /** Never resumed automatically (for tests that look at a failure). */
    public static AutoResume off() {
        return new AutoResume(1, List.of(Duration.ofSeconds(5)));
    }

    public AutoResume {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("max-attempts must be at least 1");
        }
        backoff = backoff == null || backoff.isEmpty() ? List.of(Duration.ZERO) : List.copyOf(backoff);
    }

    /** Whether a run of attempt {@code attempt} that failed with {@code errorCode} is started again. */
    boolean resumes(int attempt, String errorCode) {
        return attempt < maxAttempts && errorCode != null && RETRYABLE.contains(errorCode);
    }

    /** The wait before attempt {@code next} (2 for the first automatic resume). */
    Duration delayBefore(int next) {
        return backoff.get(Math.min(Math.max(0, next - 2), backoff.size() - 1));
    }
}
