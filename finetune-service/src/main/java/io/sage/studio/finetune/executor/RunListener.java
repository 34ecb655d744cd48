package io.sage.studio.finetune.executor;

import io.sage.studio.finetune.domain.TrainerPhase;

/** What an executor reports about a trainer it watches. Called from executor threads. */
public interface RunListener {

    /**
     * The trainer ended.
     *
     * @param exitCode its exit status ({@code 128 + n} when killed by signal {@code n}), or {@code null} when not
     *                 known (a re-adopted process; the outcome is then read from {@code progress.jsonl})
     * @param detail   what the executor knows about the end (e.g. a Job condition), or {@code null}
     */
    void exited(String taskId, Integer exitCode, String detail);

    /**
     * Where a launched trainer stands before it reports progress itself (e.g. a pod waiting to be scheduled).
     *
     * @param phase   one of the {@link TrainerPhase.Source#EXECUTOR executor's} phases, e.g. {@code scheduling}
     * @param message a sentence for the user
     */
    void waiting(String taskId, TrainerPhase phase, String message);
}
