package io.sage.studio.finetune.messaging;

import jakarta.enterprise.context.ApplicationScoped;

import io.sage.studio.events.TaskEvent;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.task.TaskListener;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;
import io.smallrye.mutiny.subscription.BackPressureFailure;

/**
 * Fans task changes out to the SSE clients of this instance (no Kafka round trip, so the UI sees them at once).
 * Each subscriber has a bounded buffer of {@value #SUBSCRIBER_BUFFER} changes; one that falls further behind gets
 * {@link Change#END} and its stream completes (it reconnects and starts again from the full list) instead of
 * the buffer growing.
 */
@ApplicationScoped
public class TaskBroadcaster implements TaskListener {

    static final int SUBSCRIBER_BUFFER = 1024;

    /** A change as the stream carries it: the task, or only its id when deleted; {@link #END} ends a stream. */
    public record Change(TaskEvent.Kind kind, Task task) {

        /** The last item of a subscriber that fell too far behind. */
        public static final Change END = new Change(null, null);

        public boolean isEnd() {
            return kind == null;
        }
    }

    private final BroadcastProcessor<Change> processor = BroadcastProcessor.create();

    @Override
    public void changed(TaskEvent.Kind kind, Task task, long revision) {
        processor.onNext(new Change(kind, task));
    }

    /** Live changes from now on; after {@link Change#END} (the subscriber fell too far behind) it completes. */
    public Multi<Change> changes() {
        return processor
                .onOverflow()
                .buffer(SUBSCRIBER_BUFFER)
                .onFailure(BackPressureFailure.class)
                .recoverWithItem(Change.END);
    }
}
