package io.sage.studio.finetune.domain;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The states of a task, written as the exact lower-case strings the UI and the seed use.
 *
 * <pre>
 * queued ──▶ preparing ──▶ training ──▶ completed
 *   │            │             │  └────▶ failed
 *   └──────▶ cancelled ◀───────┘ (and from preparing: failed)
 *   ▲            │
 *   └────────────┴ failed / cancelled ──▶ queued: POST …/retry (a new attempt, same task id)
 *
 * queued / preparing / training ──▶ paused: POST …/pause (the trainer checkpoints and exits; holds no slot)
 * paused ──▶ queued: POST …/resume (a new attempt from the checkpoint); paused ──▶ cancelled
 * preparing / training ──▶ queued: a trainer that died without explaining why, resumed automatically
 * </pre>
 * {@code pending} is accepted on input (seed task directories) and treated like {@code queued}.
 */
public enum TaskStatus {
    PENDING,
    QUEUED,
    PREPARING,
    TRAINING,
    COMPLETED,
    FAILED,
    CANCELLED,
    /** Stopped on request with a checkpoint, holding no slot and no queue place until {@code POST …/resume}. */
    PAUSED;

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static TaskStatus of(String value) {
        return valueOf(value.strip().toUpperCase(Locale.ROOT));
    }

    /** Finished: no executor holds it; only a retry of a failed or cancelled task queues it again. */
    public boolean terminal() {
        return this == COMPLETED || this == FAILED || this == CANCELLED;
    }

    /** Held by no executor and writing nothing: finished, or paused until a resume. */
    public boolean idle() {
        return terminal() || this == PAUSED;
    }

    /** Waiting for a slot. */
    public boolean waiting() {
        return this == PENDING || this == QUEUED;
    }

    /** Handed to an executor. */
    public boolean running() {
        return this == PREPARING || this == TRAINING;
    }

    /** Whether the state machine allows going from this state to {@code next}. */
    public boolean canMoveTo(TaskStatus next) {
        return switch (this) {
            case PENDING -> next == QUEUED || next == CANCELLED || next == FAILED || next == PAUSED;
            case QUEUED -> next == PREPARING || next == CANCELLED || next == FAILED || next == PAUSED;
            case PREPARING -> next == TRAINING || next == QUEUED || next == PAUSED || next.terminal();
            case TRAINING -> next == PAUSED || next == QUEUED || next.terminal();
            case FAILED, CANCELLED, PAUSED -> next == QUEUED || (this == PAUSED && next == CANCELLED);
            case COMPLETED -> false;
        };
    }
}
