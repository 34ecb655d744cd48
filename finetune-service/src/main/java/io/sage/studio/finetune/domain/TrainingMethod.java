package io.sage.studio.finetune.domain;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * How a task trains ({@code method} on the wire and in {@code job.json}, written as the lower-case names):
 * {@code lora} (adapter on the frozen base), {@code qlora} (adapter on a 4-bit base), {@code full} (all weights).
 */
public enum TrainingMethod {
    LORA,
    QLORA,
    FULL;

    /** What a request without {@code method} gets. */
    public static final TrainingMethod DEFAULT = LORA;

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The method written as {@code value}; {@code null} for {@code null}. */
    @JsonCreator
    public static TrainingMethod of(String value) {
        return value == null ? null : valueOf(value.strip().toUpperCase(Locale.ROOT));
    }
}
