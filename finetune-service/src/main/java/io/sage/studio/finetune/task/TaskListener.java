package io.sage.studio.finetune.task;

import io.sage.studio.events.TaskEvent;
import io.sage.studio.finetune.domain.Task;

/** Told about every published change of a task (Kafka publisher, SSE broadcaster). Must not block. */
public interface TaskListener {

    void changed(TaskEvent.Kind kind, Task task, long revision);
}
