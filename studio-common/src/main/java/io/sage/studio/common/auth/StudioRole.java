package io.sage.studio.common.auth;

import java.util.Locale;
import java.util.Optional;

/** What a caller may do; each role includes the ones before it. */
public enum StudioRole {

    /** Reads everything: tasks, models, GPUs, the current model, logs. */
    VIEWER,
    /** Also uploads datasets and creates tasks, and cancels and deletes the tasks it owns. */
    TRAINER,
    /** Also switches the chat model, deletes any task and changes settings. */
    ADMIN;

    public boolean includes(StudioRole other) {
        return compareTo(other) >= 0;
    }

    /** The name used in token files, claims and messages: {@code viewer}, {@code trainer}, {@code admin}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role a name stands for, ignoring case; empty for anything else. */
    public static Optional<StudioRole> parse(String name) {
        if (name == null) {
            return Optional.empty();
        }
        for (StudioRole role : values()) {
            if (role.id().equals(name.strip().toLowerCase(Locale.ROOT))) {
                return Optional.of(role);
            }
        }
        return Optional.empty();
    }
}
