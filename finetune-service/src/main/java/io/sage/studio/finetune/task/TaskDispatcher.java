package io.sage.studio.finetune.task;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import io.sage.studio.events.TaskEvent;
import io.sage.studio.finetune.domain.RunHandle;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.executor.TaskExecutor;
import io.sage.studio.finetune.queue.TaskQueue;

/**
 * Queue → executor, on one dispatcher thread: while the executor has a free slot, a queued merge is started
 * ({@link MergeRuns}, before trainings), else the waiting task the executor picks ({@link TaskExecutor#next}: the head of
 * the queue, or locally the first whose GPUs are free) is saved as {@code preparing}, handed to the executor, and its
 * run handle saved. Runs after every create, exit and rescan
 * ({@link #kick}); pauses (and retries later) while the task files cannot be written.
 */
final class TaskDispatcher {

    private static final Logger LOG = Logger.getLogger(TaskDispatcher.class);
    private static final Duration RETRY = Duration.ofSeconds(5);

    private final TaskChanges changes;
    private final TaskQueue queue;
    private final TaskExecutor executor;
    private final RunFollower follower;
    private final ScheduledExecutorService thread;
    private MergeRuns merges;

    TaskDispatcher(
            TaskChanges changes,
            TaskQueue queue,
            TaskExecutor executor,
            RunFollower follower,
            ScheduledExecutorService thread) {
        this.changes = changes;
        this.queue = queue;
        this.executor = executor;
        this.follower = follower;
        this.thread = thread;
    }

    /** The merges to start before queued trainings (set once, before the engine starts). */
    void merges(MergeRuns value) {
        this.merges = value;
    }

    /** Starts queued tasks while there are free slots (on the dispatcher thread; returns at once). */
    void kick() {
        if (thread.isShutdown()) {
            return;
        }
        try {
            thread.execute(this::dispatch);
        } catch (RejectedExecutionException e) {
            LOG.debug("service stopping; the queue is dispatched at the next start");
        }
    }

    private void dispatch() {
        while (!thread.isShutdown() && executor.freeSlots() > 0) {
            if (merges != null && merges.hasQueued()) {
                if (!merges.launchNext()) {
                    thread.schedule(this::kick, RETRY.toMillis(), TimeUnit.MILLISECONDS);
                    return;
                }
                continue;
            }
            String id = executor.next(waiting()).map(TaskRecord::taskId).orElse(null);
            if (id == null || !launch(id)) {
                return;
            }
        }
    }

    /** The queued tasks in queue order (an entry whose task is gone or no longer waiting leaves the queue). */
    private List<TaskRecord> waiting() {
        List<TaskRecord> waiting = new ArrayList<>();
        for (String id : queue.ids()) {
            TaskRecord record = changes.store().get(id).orElse(null);
            if (record == null || !record.status().waiting()) {
                queue.remove(id);
            } else {
                waiting.add(record);
            }
        }
        return waiting;
    }

    /** Starts the queued task {@code id}; {@code false} when dispatching should pause (storage trouble). */
    private boolean launch(String id) {
        synchronized (changes.lock(id)) {
            TaskRecord record = changes.store().get(id).orElse(null);
            if (record == null || !record.status().waiting()) {
                queue.remove(id);
                return true;
            }
            TaskRecord preparing = TaskTransitions.preparing(record, Instant.now());
            if (!changes.saveAndPublish(preparing, TaskEvent.Kind.STATE_CHANGED)) {
                thread.schedule(this::kick, RETRY.toMillis(), TimeUnit.MILLISECONDS);
                return false;
            }
            queue.remove(id);
            Path dir = changes.store().dir(id);
            follower.launching(id);
            try {
                RunHandle handle = executor.launch(preparing, dir, follower.listener());
                try {
                    changes.store().save(TaskTransitions.launched(preparing, handle));
                } catch (IOException e) {
                    LOG.errorf("task %s: trainer started but its handle could not be saved: %s", id, e.getMessage());
                }
            } catch (TaskExecutor.LaunchException e) {
                follower.forget(id);
                changes.saveAndPublish(
                        TaskTransitions.launchFailed(preparing, e.getMessage(), Instant.now()),
                        TaskEvent.Kind.STATE_CHANGED);
            }
            return true;
        }
    }
}
