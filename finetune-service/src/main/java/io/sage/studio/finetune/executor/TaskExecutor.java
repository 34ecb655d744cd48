package io.sage.studio.finetune.executor;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import io.sage.studio.finetune.domain.RunHandle;
import io.sage.studio.finetune.domain.TaskRecord;

/**
 * Runs trainers: a local process per task or a Kubernetes Job per task. Both speak the same trainer protocol
 * ({@code docs/trainer-protocol.md}): {@code <command> --spec <task_dir>/job.json} with the task directory as working directory.
 * Progress is read from the task's {@code progress.jsonl} by the service, not by the executor.
 */
public interface TaskExecutor {

    /** {@code local} or {@code kubernetes}, as recorded in {@link RunHandle#executor()}. */
    String name();

    /** How many more runs (trainings or merges: both hold a GPU) may start now. */
    int freeSlots();

    /**
     * Of the waiting tasks (in queue order, while {@link #freeSlots()} is positive), the one to start now, or empty
     * when none can. By default the head of the queue; the local executor picks the first whose GPUs are free and
     * keeps GPUs for a multi-GPU task that has waited long ({@code GpuAllocator}).
     */
    default Optional<TaskRecord> next(List<TaskRecord> waiting) {
        return waiting.isEmpty() ? Optional.empty() : Optional.of(waiting.get(0));
    }

    /**
     * Starts the trainer of {@code task} (whose {@code job.json} is written) and watches it until it ends.
     *
     * @throws LaunchException when it cannot be started; nothing is left running then
     */
    default RunHandle launch(TaskRecord task, Path taskDir, RunListener listener) throws LaunchException {
        return launch(task, taskDir, RunKind.TRAIN, listener);
    }

    /**
     * Starts a run of {@code kind} for {@code task} and watches it until it ends; it takes a slot like a training.
     *
     * @throws LaunchException when it cannot be started; nothing is left running then
     */
    RunHandle launch(TaskRecord task, Path taskDir, RunKind kind, RunListener listener) throws LaunchException;

    /**
     * After a restart of the service: finds the trainer of {@code task} again from its {@link RunHandle}.
     *
     * @return {@code true} when it still runs and is watched again; {@code false} when it is gone
     */
    default boolean reattach(TaskRecord task, Path taskDir, RunListener listener) {
        return reattach(task, task.run(), taskDir, RunKind.TRAIN, listener);
    }

    /**
     * After a restart of the service: finds the run of {@code kind} of {@code task} again from {@code handle} (which
     * may be {@code null}: Kubernetes then looks for the Job by its labels).
     *
     * @return {@code true} when it still runs and is watched again; {@code false} when it is gone
     */
    boolean reattach(TaskRecord task, RunHandle handle, Path taskDir, RunKind kind, RunListener listener);

    /** Asks the trainer to stop (it checkpoints and exits); forces it after a grace period. */
    default void cancel(TaskRecord task) {
        cancel(task, RunKind.TRAIN);
    }

    /** Asks the run of {@code kind} of {@code task} to stop; forces it after a grace period. */
    void cancel(TaskRecord task, RunKind kind);

    /** Stops watching; trainers keep running and are re-adopted by the next start of the service. */
    void close();

    /** A trainer could not be started. */
    class LaunchException extends Exception {
        public LaunchException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
