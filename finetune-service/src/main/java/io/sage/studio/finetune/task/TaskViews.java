package io.sage.studio.finetune.task;

import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskRecord;

/**
 * How a task is shown: the stored record plus what is derived when it is shown (queue position, absolute artifact
 * paths, log tail). The task machinery hands these views to its {@link TaskListener}s; the implementation (a cache
 * next to the REST resource) decides how much of that work is reused.
 */
public interface TaskViews {

    /** The task as shown now. */
    Task view(TaskRecord record);

    /** Drops what is kept about a task that is gone. */
    void forget(String taskId);
}
