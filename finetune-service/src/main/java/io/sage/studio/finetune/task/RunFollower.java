package io.sage.studio.finetune.task;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import io.sage.studio.events.TaskEvent;
import io.sage.studio.finetune.artifact.Artifacts;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.executor.RunListener;
import io.sage.studio.finetune.progress.ProgressTracker;
import io.sage.studio.finetune.progress.TrainerLogTail;

/**
 * Follows the tasks handed to the executor until each has its outcome: reads every running task's
 * {@code progress.jsonl} on the poller thread (a phase or status change is published at once, metrics at most once
 * per {@code progressInterval}), records what the executor says while a trainer waits to run, and settles a task
 * when its trainer exits.
 */
final class RunFollower {

    private static final Logger LOG = Logger.getLogger(RunFollower.class);

    private final TaskChanges changes;
    private final Duration progressInterval;
    private final ScheduledExecutorService poller;
    private final NextAttempts attempts;
    private final AutoResume autoResume;
    private final Map<String, Tracked> tracked = new ConcurrentHashMap<>();
    private final RunEvents listener;

    /** A running task whose progress file is followed. */
    private static final class Tracked {
        final ProgressTracker tracker;
        long lastFlushNanos;
        boolean dirty;

        Tracked(ProgressTracker tracker) {
            this.tracker = tracker;
        }
    }

    /**
     * @param poller     the thread that reads progress files and settles tasks
     * @param afterExit  run after a task was settled (a slot is free: dispatch the queue)
     * @param attempts   starts the next attempt of a trainer that died
     * @param autoResume which deaths are resumed, how often, after how long
     */
    RunFollower(
            TaskChanges changes,
            Duration progressInterval,
            ScheduledExecutorService poller,
            Runnable afterExit,
            NextAttempts attempts,
            AutoResume autoResume) {
        this.changes = changes;
        this.progressInterval = progressInterval;
        this.poller = poller;
        this.attempts = attempts;
        this.autoResume = autoResume;
        this.listener = new RunEvents(changes, poller, "training", this::settle, afterExit, TaskTransitions::waiting);
    }

    /** Reads the progress of every followed task every {@code poll}. */
    void start(Duration poll) {
        poller.scheduleWithFixedDelay(this::pollAll, poll.toMillis(), poll.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** What the executor is told to report to. */
    RunListener listener() {
        return listener;
    }

    /** Follows a trainer about to be launched (its progress file starts empty). */
    void launching(String id) {
        tracked.put(id, new Tracked(new ProgressTracker(changes.store().dir(id))));
    }

    /** Follows a re-adopted trainer, reading what it wrote so far at once. */
    void adopted(String id) {
        Tracked t = new Tracked(new ProgressTracker(changes.store().dir(id)));
        tracked.put(id, t);
        poll(id, t);
    }

    /** Stops following a task whose trainer never started. */
    void forget(String id) {
        tracked.remove(id);
    }

    private void pollAll() {
        for (Map.Entry<String, Tracked> entry : tracked.entrySet()) {
            try {
                poll(entry.getKey(), entry.getValue());
            } catch (RuntimeException e) {
                LOG.warnf(e, "reading the progress of %s failed", entry.getKey());
            }
        }
    }

    private void poll(String id, Tracked t) {
        synchronized (changes.lock(id)) {
            if (tracked.get(id) != t) {
                return;
            }
            try {
                t.dirty |= t.tracker.poll();
            } catch (IOException e) {
                LOG.debugf("cannot read the progress of %s: %s", id, e.getMessage());
                return;
            }
            if (!t.dirty) {
                return;
            }
            TaskRecord record = changes.store().get(id).orElse(null);
            if (record == null || !record.status().running()) {
                return;
            }
            TaskRecord updated = TaskTransitions.withProgress(record, t.tracker);
            boolean stateChange = updated.status() != record.status() || updated.phase() != record.phase();
            long now = System.nanoTime();
            if (!stateChange && now - t.lastFlushNanos < progressInterval.toNanos()) {
                return;
            }
            if (TaskTransitions.sameProgress(record, updated)) {
                t.dirty = false;
                return;
            }
            TaskRecord next =
                    updated.toBuilder().revision(record.revision() + 1).build();
            if (changes.saveAndPublish(next, stateChange ? TaskEvent.Kind.STATE_CHANGED : TaskEvent.Kind.PROGRESS)) {
                t.lastFlushNanos = now;
                t.dirty = false;
            }
        }
    }

    /**
     * Gives a task whose trainer has ended its outcome (read the rest of its progress file first); retried while
     * its file cannot be written.
     *
     * @param exitCode the trainer's exit status, {@code null} when unknown
     * @param detail   what the executor knows about the end, or {@code null}
     */
    void settle(String id, Integer exitCode, String detail) {
        synchronized (changes.lock(id)) {
            TaskRecord record = changes.store().get(id).orElse(null);
            if (record == null || !record.status().running()) {
                tracked.remove(id);
                return;
            }
            Path dir = changes.store().dir(id);
            Tracked t = tracked.get(id);
            ProgressTracker tracker = t != null ? t.tracker : new ProgressTracker(dir);
            try {
                tracker.poll();
            } catch (IOException e) {
                LOG.warnf("cannot read the progress of %s: %s", id, e.getMessage());
            }
            RunOutcome outcome = RunOutcome.decide(
                    record.cancelRequested(),
                    exitCode,
                    detail,
                    tracker.errorCode(),
                    tracker.errorMessage(),
                    tracker.done(),
                    TrainerLogTail.lastLines(dir.resolve(TrainerLogTail.FILE), 5));
            if (record.pauseRequested() && !record.cancelRequested()) {
                outcome = outcome.paused();
            }
            Map<String, String> artifacts =
                    outcome.status() == TaskStatus.COMPLETED ? artifacts(dir, tracker) : Map.of();
            TaskRecord finished = TaskTransitions.finished(record, tracker, outcome, artifacts, Instant.now());
            if (outcome.status() == TaskStatus.FAILED && resumed(finished)) {
                tracked.remove(id);
                return;
            }
            if (changes.saveAndPublish(finished, TaskEvent.Kind.STATE_CHANGED)) {
                tracked.remove(id);
            } else {
                listener.settleLater(id, exitCode, detail);
            }
        }
    }

    /**
     * Starts the next attempt of a run that died without the trainer saying why, from its latest checkpoint after the
     * backoff ({@link AutoResume}); {@code false} when it is not resumed (the caller saves the failure).
     */
    private boolean resumed(TaskRecord failed) {
        if (!autoResume.resumes(failed.attempt(), failed.errorCode())) {
            return false;
        }
        int next = failed.attempt() + 1;
        Instant at = Instant.now().plus(autoResume.delayBefore(next));
        try {
            attempts.start(
                    failed,
                    true,
                    "the trainer ended without finishing (" + failed.errorCode() + "); resumed automatically, attempt "
                            + next + " of " + autoResume.maxAttempts(),
                    at);
            LOG.infof(
                    "task %s: the trainer died (%s); attempt %d starts at %s",
                    failed.taskId(), failed.errorCode(), next, at);
            return true;
        } catch (RuntimeException e) {
            LOG.warnf("task %s: cannot start attempt %d (%s); it fails", failed.taskId(), next, e.getMessage());
            return false;
        }
    }

    /** The artifacts the trainer reported that exist, plus artifact folders it left without reporting. */
    private static Map<String, String> artifacts(Path dir, ProgressTracker tracker) {
        Map<String, String> found = new LinkedHashMap<>();
        tracker.artifacts().forEach((kind, path) -> {
            String relative = Artifacts.relative(dir, path);
            if (Files.exists(dir.resolve(relative))) {
                found.put(kind, relative);
            }
        });
        Artifacts.onDisk(dir).forEach(found::putIfAbsent);
        return found;
    }
}
