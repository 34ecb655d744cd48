package io.sage.studio.finetune.domain;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * How a task's training is spread over its GPUs, as stored in its training config (issue 21; lower-case on the wire):
 * {@code none} (world size 1), {@code ddp} (each GPU holds the whole model and a share of each batch) or {@code fsdp}
 * (parameters, gradients and optimizer state sharded over every GPU). A create asks {@code auto|ddp|fsdp}; {@code auto}
 * is resolved before the task is stored, so a task always records what its trainer runs.
 */
public enum Parallelism {
    NONE,
    DDP,
    FSDP;

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The layout written as {@code value}; {@code null} for {@code null}. */
    @JsonCreator
    public static Parallelism of(String value) {
        return value == null ? null : valueOf(value.strip().toUpperCase(Locale.ROOT));
    }

    /**
     * The layout without a memory estimate (the contract's fallback): {@code none} for one process, else {@code fsdp}
     * for a full fine-tune (every weight trains: sharding its optimizer state is what makes it fit) and {@code ddp} for
     * LoRA/QLoRA (the frozen base is small next to a full optimizer state, and DDP is the cheaper collective).
     */
    public static Parallelism fallback(int worldSize, TrainingMethod method) {
        if (worldSize <= 1) {
            return NONE;
        }
        return method == TrainingMethod.FULL ? FSDP : DDP;
    }
}
