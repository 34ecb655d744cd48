package io.sage.studio.finetune.messaging;

import java.util.concurrent.CompletableFuture;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

import io.sage.studio.common.kafka.EventMessages;
import io.sage.studio.events.TaskEvent;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.task.TaskListener;

/**
 * Publishes every task change to {@code studio.finetune.tasks} (channel {@value #CHANNEL}): key = task id,
 * CloudEvents headers, the task's revision. The task files are the truth; an event that cannot be delivered
 * is logged, never retried into a blocked API call. Each event carries the trace of the task's create call
 * ({@code ce_traceparent}; none when tracing was off), whichever thread sends it.
 */
@ApplicationScoped
public class TaskEventPublisher implements TaskListener {

    public static final String CHANNEL = "task-events";
    static final String COMPONENT = "finetune-service";
    private static final Logger LOG = Logger.getLogger(TaskEventPublisher.class);

    private final Emitter<TaskEvent> emitter;

    public TaskEventPublisher(
            @Channel(CHANNEL) @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)
                    Emitter<TaskEvent> emitter) {
        this.emitter = emitter;
    }

    @Override
    public void changed(TaskEvent.Kind kind, Task task, long revision) {
        TaskEvent event = TaskEvent.of(kind, revision, task.snapshot());
        emitter.send(EventMessages.of(event, COMPONENT, task.traceparent(), task.tracestate())
                .withNack(error -> {
                    LOG.warnf(
                            "task event %s r%d of %s not delivered: %s",
                            kind, revision, task.taskId(), error.getMessage());
                    return CompletableFuture.completedFuture(null);
                }));
    }
}
