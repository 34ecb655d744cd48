package io.sage.studio.finetune.domain;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Where a running task's trainer stands ({@code phase} on the wire, written as the lower-case names). The trainer
 * reports its own phases in {@code progress.jsonl} (trainer protocol: {@code loading_model → preparing_data →
 * training → saving → merging → done}); before it runs, an executor reports why it waits (Kubernetes:
 * {@code queued_in_cluster}, {@code scheduling}, {@code unschedulable}, {@code image_pull_failed},
 * {@code starting_container}, {@code pod_running}).
 */
public enum TrainerPhase {
    LOADING_MODEL(Source.TRAINER),
    PREPARING_DATA(Source.TRAINER),
    TRAINING(Source.TRAINER),
    SAVING(Source.TRAINER),
    MERGING(Source.TRAINER),
    DONE(Source.TRAINER),
    QUEUED_IN_CLUSTER(Source.EXECUTOR),
    SCHEDULING(Source.EXECUTOR),
    UNSCHEDULABLE(Source.EXECUTOR),
    IMAGE_PULL_FAILED(Source.EXECUTOR),
    STARTING_CONTAINER(Source.EXECUTOR),
    POD_RUNNING(Source.EXECUTOR);

    /** Who reports a phase. */
    public enum Source {
        /** the trainer, in {@code progress.jsonl} */
        TRAINER,
        /** the executor, while the trainer does not run yet */
        EXECUTOR
    }

    private final Source source;

    TrainerPhase(Source source) {
        this.source = source;
    }

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The phase written as {@code value}, or {@code null} for {@code null} or a name this version does not know
     * (a stored task keeps loading; its phase only refines its status).
     */
    @JsonCreator
    public static TrainerPhase of(String value) {
        if (value == null) {
            return null;
        }
        try {
            return valueOf(value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** A phase a trainer reports in {@code progress.jsonl}, or {@code null} when {@code value} is none of them. */
    public static TrainerPhase reportedByTrainer(String value) {
        TrainerPhase phase = of(value);
        return phase != null && phase.source == Source.TRAINER ? phase : null;
    }

    public Source source() {
        return source;
    }

    /** The trainer has started its work proper: a task still {@code preparing} moves to {@code training}. */
    public boolean training() {
        return source == Source.TRAINER && this != LOADING_MODEL && this != PREPARING_DATA;
    }
}
