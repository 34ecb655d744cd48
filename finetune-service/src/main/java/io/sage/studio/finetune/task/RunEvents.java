package io.sage.studio.finetune.task;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import io.sage.studio.events.TaskEvent;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TrainerPhase;
import io.sage.studio.finetune.executor.RunListener;

/**
 * What an executor reports about one kind of run (a training, a merge), routed to where the service changes tasks:
 * an end is settled on the poller, the one thread that settles ended runs (so two settles of a task never race), and
 * {@code afterExit} runs after it (a slot is free); a wait is written at once, under the task's lock. Once the poller
 * has shut down the service is stopping and reports are dropped: the next start settles what ended meanwhile
 * ({@link TaskRecovery}). {@link RunFollower} and {@link MergeRuns} each hold one.
 */
final class RunEvents implements RunListener {

    private static final Logger LOG = Logger.getLogger(RunEvents.class);
    /** How long a settle whose record could not be written waits before it tries again. */
    private static final Duration RETRY = Duration.ofSeconds(5);

    /** Gives an ended run its outcome; called on the poller. */
    @FunctionalInterface
    interface Settle {
        void settle(String taskId, Integer exitCode, String detail);
    }

    /** The record a wait leaves, or {@code null} when it changes nothing. */
    @FunctionalInterface
    interface Waiting {
        TaskRecord next(TaskRecord record, TrainerPhase phase, String message);
    }

    private final TaskChanges changes;
    private final ScheduledExecutorService poller;
    private final String run;
    private final Settle settle;
    private final Runnable afterExit;
    private final Waiting waiting;

    /**
     * @param run       the kind of run, for the log ({@code "training"}, {@code "merge"})
     * @param afterExit run after each settle on the poller
     */
    RunEvents(
            TaskChanges changes,
            ScheduledExecutorService poller,
            String run,
            Settle settle,
            Runnable afterExit,
            Waiting waiting) {
        this.changes = changes;
        this.poller = poller;
        this.run = run;
        this.settle = settle;
        this.afterExit = afterExit;
        this.waiting = waiting;
    }

    @Override
    public void exited(String taskId, Integer exitCode, String detail) {
        if (poller.isShutdown()) {
            return;
        }
        try {
            poller.execute(() -> {
                settle.settle(taskId, exitCode, detail);
                afterExit.run();
            });
        } catch (RejectedExecutionException e) {
            stopping(taskId);
        }
    }

    @Override
    public void waiting(String taskId, TrainerPhase phase, String message) {
        if (poller.isShutdown()) {
            return;
        }
        synchronized (changes.lock(taskId)) {
            TaskRecord record = changes.store().get(taskId).orElse(null);
            TaskRecord next = record == null ? null : waiting.next(record, phase, message);
            if (next != null) {
                changes.saveAndPublish(next, TaskEvent.Kind.STATE_CHANGED);
            }
        }
    }

    /** Settles the run again after {@link #RETRY} (its outcome could not be written), unless the service stops. */
    void settleLater(String taskId, Integer exitCode, String detail) {
        if (poller.isShutdown()) {
            return;
        }
        try {
            poller.schedule(() -> settle.settle(taskId, exitCode, detail), RETRY.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            stopping(taskId);
        }
    }

    private void stopping(String taskId) {
        LOG.debugf("service stopping; the %s of %s is settled at the next start", run, taskId);
    }
}
