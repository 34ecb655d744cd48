package io.sage.studio.finetune.messaging;

import jakarta.enterprise.context.ApplicationScoped;

import io.sage.studio.events.TaskEvent;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.service.TaskListener;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;

/** Fans task changes out to the SSE clients of this instance (no Kafka round trip, so the UI sees them at once). */
@ApplicationScoped
public class TaskBroadcaster implements TaskListener {

    /** A change as the stream carries it: the task, or only its id when deleted. */
    public record Change(TaskEvent.Kind kind, Task task) {
    }

    private final BroadcastProcessor<Change> processor = BroadcastProcessor.create();

    @Override
    public void changed(TaskEvent.Kind kind, Task task, long revision) {
        processor.onNext(new Change(kind, task));
    }

    /** Live changes from now on; a client that falls 4096 changes behind gets an error and reconnects. */
    public Multi<Change> changes() {
        return processor.onOverflow().buffer(4096);
    }
}
