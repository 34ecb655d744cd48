package io.sage.studio.events;

import java.time.Instant;

/**
 * A fine-tuning task changed: created, changed state, reported progress, or was deleted.
 *
 * <p>{@code revision} grows by one with every change of the task, so a consumer that has seen revision
 * {@code n} ignores anything at or below it (idempotent under redelivery).
 */
public record TaskEvent(int schemaVersion, Kind kind, long revision, Instant timestamp, TaskSnapshot task)
        implements StudioEvent {

    public static final int SCHEMA_VERSION = 1;
    public static final String TYPE = "io.sage.studio.finetune.task.v1";

    public enum Kind {
        CREATED,
        STATE_CHANGED,
        PROGRESS,
        DELETED
    }

    public static TaskEvent of(Kind kind, long revision, TaskSnapshot task) {
        return new TaskEvent(SCHEMA_VERSION, kind, revision, Instant.now(), task);
    }

    @Override
    public String key() {
        return task.taskId();
    }

    @Override
    public String cloudEventType() {
        return TYPE;
    }

    @Override
    public String topic() {
        return Topics.FINETUNE_TASKS;
    }
}
