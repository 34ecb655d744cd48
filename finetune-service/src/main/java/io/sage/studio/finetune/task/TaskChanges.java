package io.sage.studio.finetune.task;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jboss.logging.Logger;

import io.sage.studio.common.error.ErrorKind;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.events.TaskEvent;
import io.sage.studio.finetune.FinetuneError;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskRecord;

/**
 * The one way a task changes: under the task's lock, {@code finetune_meta.json} is written first, then the change
 * is published to the listeners (Kafka, SSE) with the task's view. A failed write leaves memory at the previous
 * state and publishes nothing. Shared by the lifecycle, the dispatcher, the run follower and the recovery.
 */
final class TaskChanges {

    private static final Logger LOG = Logger.getLogger(TaskChanges.class);

    private final TaskStore store;
    private final TaskViews views;
    private final List<TaskListener> listeners;
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    TaskChanges(TaskStore store, TaskViews views, List<TaskListener> listeners) {
        this.store = store;
        this.views = views;
        this.listeners = List.copyOf(listeners);
    }

    TaskStore store() {
        return store;
    }

    TaskViews views() {
        return views;
    }

    /** The monitor that serialises the changes of one task. */
    Object lock(String taskId) {
        return locks.computeIfAbsent(taskId, k -> new Object());
    }

    void forgetLock(String taskId) {
        locks.remove(taskId);
    }

    /** Saves and publishes; on a storage failure logs it and returns {@code false} (memory keeps the old state). */
    boolean saveAndPublish(TaskRecord record, TaskEvent.Kind kind) {
        try {
            store.save(record);
        } catch (IOException e) {
            LOG.errorf(
                    "task %s: cannot write %s (%s); the previous state stays",
                    record.taskId(), TaskStore.META_FILE, e.getMessage());
            return false;
        }
        publish(kind, record);
        return true;
    }

    /** Saves for an API call; a storage failure becomes {@code storage_error} and nothing changes. */
    void saveOrFail(TaskRecord record) {
        try {
            store.save(record);
        } catch (IOException e) {
            throw storageError(e);
        }
    }

    /** {@code storage_error}, of the kind {@code insufficient_storage} when the disk is full. */
    static StudioException storageError(IOException e) {
        boolean full = String.valueOf(e.getMessage()).contains("No space left");
        return new StudioException(
                FinetuneError.STORAGE_ERROR,
                full ? ErrorKind.INSUFFICIENT_STORAGE : null,
                "cannot write the task's files (" + e.getMessage() + "); the task is unchanged",
                List.of(),
                e);
    }

    void publish(TaskEvent.Kind kind, TaskRecord record) {
        Task task = views.view(record);
        for (TaskListener listener : listeners) {
            try {
                listener.changed(kind, task, record.revision());
            } catch (RuntimeException e) {
                LOG.warnf(e, "a task listener failed for %s", record.taskId());
            }
        }
    }
}
