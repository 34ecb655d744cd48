package io.sage.studio.finetune.task;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;

import org.jboss.logging.Logger;

import io.sage.studio.events.TaskEvent;
import io.sage.studio.finetune.domain.RunHandle;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.executor.TaskExecutor;
import io.sage.studio.finetune.queue.TaskQueue;
import io.sage.studio.finetune.storage.TreeFiles;

/**
 * Puts every task found on disk back where it belongs: at start (all folders), and at each rescan (folders copied
 * in or removed from outside). A waiting task goes back into the queue at its place; a running one is re-adopted
 * when the executor finds the very trainer this install launched, queued again when its launch never happened,
 * and otherwise settled from its files; so is a completed task's merge ({@link MergeRuns#recover}). See
 * {@code DESIGN.md} (Restart) for the table.
 */
final class TaskRecovery {

    private static final Logger LOG = Logger.getLogger(TaskRecovery.class);

    private final TaskChanges changes;
    private final TaskQueue queue;
    private final NextAttempts attempts;
    private final TaskExecutor executor;
    private final RunFollower follower;
    private final MergeRuns merges;
    private final Runnable dispatch;

    TaskRecovery(
            TaskChanges changes,
            TaskQueue queue,
            NextAttempts attempts,
            TaskExecutor executor,
            RunFollower follower,
            MergeRuns merges,
            Runnable dispatch) {
        this.changes = changes;
        this.queue = queue;
        this.attempts = attempts;
        this.executor = executor;
        this.follower = follower;
        this.merges = merges;
        this.dispatch = dispatch;
    }

    /** Removes half-created or half-deleted folders, loads every task folder and recovers it; returns how many. */
    int start() throws IOException {
        TaskStore store = changes.store();
        Files.createDirectories(store.root());
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(store.root(), ".{creating,deleting}-*")) {
            for (Path dir : dirs) {
                TreeFiles.deleteQuietly(dir);
            }
        }
        List<TaskRecord> records = store.rescan().added().stream()
                .sorted(Comparator.comparingLong(TaskRecord::queueSeq))
                .toList();
        for (TaskRecord record : records) {
            queue.observeSeq(record.queueSeq());
            recover(record);
        }
        return records.size();
    }

    /** Picks up task folders added or removed from outside since the last scan. */
    void rescan() {
        TaskStore store = changes.store();
        try {
            TaskStore.Changes found = store.rescan();
            for (TaskRecord added : found.added()) {
                LOG.infof("task folder %s appeared; listed", added.taskId());
                queue.observeSeq(added.queueSeq());
                recover(added);
                changes.publish(
                        TaskEvent.Kind.CREATED, store.get(added.taskId()).orElse(added));
            }
            for (TaskRecord removed : found.removed()) {
                changes.publish(TaskEvent.Kind.DELETED, removed);
                changes.views().forget(removed.taskId());
            }
            if (!found.added().isEmpty()) {
                dispatch.run();
            }
        } catch (IOException | RuntimeException e) {
            LOG.warnf("rescanning %s failed: %s", store.root(), e.getMessage());
        }
    }

    private void recover(TaskRecord record) {
        String id = record.taskId();
        synchronized (changes.lock(id)) {
            TaskStatus status = record.status();
            if (status.waiting()) {
                attempts.enqueue(record);
                if (status == TaskStatus.PENDING) {
                    changes.saveAndPublish(TaskTransitions.queued(record), TaskEvent.Kind.STATE_CHANGED);
                }
                return;
            }
            if (!status.running()) {
                merges.recover(record); // terminal or paused: only a completed task's merge may need care
                return;
            }
            RunHandle run = record.run();
            Path dir = changes.store().dir(id);
            if (run == null && status == TaskStatus.PREPARING && executor.reattach(record, dir, follower.listener())) {
                follower.adopted(id);
                return;
            }
            if (run == null && status == TaskStatus.PREPARING) {
                LOG.infof("task %s was being started when the service stopped; queued again", id);
                TaskRecord requeued = TaskTransitions.requeued(record);
                if (changes.saveAndPublish(requeued, TaskEvent.Kind.STATE_CHANGED)) {
                    queue.add(id, requeued.priority(), requeued.queueSeq());
                }
                return;
            }
            if (run != null
                    && executor.name().equals(run.executor())
                    && executor.reattach(record, dir, follower.listener())) {
                follower.adopted(id);
                return;
            }
            String detail = run == null || executor.name().equals(run.executor())
                    ? null
                    : "the task was started by the " + run.executor() + " executor, which is not active here";
            follower.settle(id, null, detail);
        }
    }
}
