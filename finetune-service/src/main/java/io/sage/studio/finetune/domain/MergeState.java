package io.sage.studio.finetune.domain;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Where the merge of a completed task's LoRA adapter into {@code merged_model/} stands ({@code merge_run.state},
 * written as the lower-case names). The task's own status stays {@code completed} whatever the merge does.
 *
 * <pre>
 * queued ──▶ running ──▶ succeeded
 *   │           ├──────▶ failed
 *   └──────▶ cancelled ◀┘
 * </pre>
 */
public enum MergeState {
    QUEUED,
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED;

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The state written as {@code value}; {@code null} for {@code null} or a name this version does not know (a
     * newer version's file), which reads as "no merge".
     */
    @JsonCreator
    public static MergeState of(String value) {
        if (value == null) {
            return null;
        }
        try {
            return valueOf(value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Waiting for a slot or running: the merge holds the task (no second merge, no delete). */
    public boolean active() {
        return this == QUEUED || this == RUNNING;
    }
}
