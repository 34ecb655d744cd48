package io.sage.studio.finetune.webhook;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;

import com.fasterxml.jackson.core.JsonProcessingException;

import io.sage.studio.events.ChatOperationEvent;
import io.sage.studio.events.StudioJson;
import io.sage.studio.events.TaskEvent;
import io.smallrye.common.annotation.Blocking;

/**
 * Turns the studio's Kafka events into webhook deliveries: {@code studio.finetune.tasks} (channel
 * {@value #TASKS}) and {@code studio.chat.operations} ({@value #OPERATIONS}), consumer group
 * {@code finetune-webhooks}. A record is acknowledged (and its offset committed) only after its deliveries are in
 * the outbox on disk, so a service that stops at any point is handed the records again that were not yet queued;
 * their deliveries have fixed ids, so queuing one again is a no-op. When the outbox cannot be written the record is
 * refused and the channel stops (its failure strategy), rather than committing past an event it lost.
 */
@ApplicationScoped
public class WebhookConsumer {

    public static final String TASKS = "webhook-tasks";
    public static final String OPERATIONS = "webhook-operations";
    static final int TRACKED_TASKS = 10_000;

    private final WebhookStore store;
    /** The highest revision seen per task, least recently seen dropped first: skips a redelivered record at once. */
    private final Map<String, Long> revisions = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > TRACKED_TASKS;
        }
    };

    public WebhookConsumer(WebhookStore store) {
        this.store = store;
    }

    @Incoming(TASKS)
    @Blocking
    public void task(TaskEvent event) {
        if (event == null || event.task() == null) {
            return;
        }
        synchronized (revisions) {
            Long seen = revisions.get(event.task().taskId());
            if (seen != null && event.revision() <= seen) {
                return;
            }
        }
        queue(WebhookEvents.of(event));
        synchronized (revisions) {
            revisions.merge(event.task().taskId(), event.revision(), Math::max);
        }
    }

    @Incoming(OPERATIONS)
    @Blocking
    public void operation(ChatOperationEvent event) {
        if (event != null) {
            queue(WebhookEvents.of(event));
        }
    }

    private void queue(List<WebhookEvents.Occurrence> occurrences) {
        for (WebhookEvents.Occurrence occurrence : occurrences) {
            try {
                store.enqueue(occurrence, body(occurrence), Instant.now());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot queue webhook deliveries of " + occurrence.type(), e);
            }
        }
    }

    /** The Standard Webhooks payload: {@code {type, timestamp, data}}. */
    static String body(WebhookEvents.Occurrence occurrence) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("type", occurrence.type());
        payload.put("timestamp", occurrence.at());
        payload.put("data", occurrence.data());
        try {
            return StudioJson.mapper().writeValueAsString(payload);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the payload of " + occurrence.type(), e);
        }
    }
}
