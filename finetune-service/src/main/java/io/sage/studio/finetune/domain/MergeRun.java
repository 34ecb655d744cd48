package io.sage.studio.finetune.domain;

import java.time.Instant;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonIgnore;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The last merge of a completed LoRA/QLoRA task's adapter ({@code lora/}) into {@code merged_model/}, as stored in
 * {@code finetune_meta.json} ({@code merge_run}). Absent (or with a state this version does not know) when the task
 * was never merged after training. Older versions ignore the field; this one ignores fields it does not know.
 *
 * @param state           where it stands
 * @param requestedBy     who asked for it (the caller's name)
 * @param requestedAt     when it was asked for
 * @param startedAt       when the trainer's {@code merge} was launched ({@code null} while queued)
 * @param finishedAt      when it ended
 * @param errorCode       the trainer's protocol code, or {@code trainer_exit} / {@code trainer_lost} /
 *                        {@code launch_failed}, when failed
 * @param errorMessage    why it failed, for the user
 * @param cancelRequested a cancel was asked for while it ran
 * @param progressOffset  the length of {@code progress.jsonl} when it was launched: the merge's records follow it
 * @param run             how to find the launched merge again after a restart; {@code null} before launch
 */
@RegisterForReflection
public record MergeRun(
        MergeState state,
        String requestedBy,
        Instant requestedAt,
        Instant startedAt,
        Instant finishedAt,
        String errorCode,
        String errorMessage,
        boolean cancelRequested,
        long progressOffset,
        RunHandle run) {

    /** A merge asked for now, waiting for a slot. */
    public static MergeRun queued(String requestedBy, Instant now) {
        return new MergeRun(MergeState.QUEUED, requestedBy, now, null, null, null, null, false, 0, null);
    }

    /** Whether it is queued or running. */
    @JsonIgnore
    public boolean active() {
        return state != null && state.active();
    }

    public MergeRun launching(long offset, Instant now) {
        return new MergeRun(MergeState.RUNNING, requestedBy, requestedAt, now, null, null, null, false, offset, null);
    }

    public MergeRun withRun(RunHandle handle) {
        return new MergeRun(
                state,
                requestedBy,
                requestedAt,
                startedAt,
                finishedAt,
                errorCode,
                errorMessage,
                cancelRequested,
                progressOffset,
                handle);
    }

    public MergeRun cancelling() {
        return new MergeRun(
                state,
                requestedBy,
                requestedAt,
                startedAt,
                finishedAt,
                errorCode,
                errorMessage,
                true,
                progressOffset,
                run);
    }

    /** The end: {@code succeeded}, {@code failed} (with a code and message) or {@code cancelled}. */
    public MergeRun ended(MergeState end, String code, String message, Instant now) {
        return new MergeRun(
                end, requestedBy, requestedAt, startedAt, now, code, message, cancelRequested, progressOffset, run);
    }

    /** What the API, the SSE stream and the events show (no run handle, no file offset). */
    public View view() {
        return new View(state, requestedAt, startedAt, finishedAt, errorCode, errorMessage, cancelRequested);
    }

    /**
     * The merge as shown on a task ({@code merge_run}).
     *
     * @param state           {@code queued|running|succeeded|failed|cancelled}
     * @param cancelRequested a cancel was asked for while it ran
     */
    @RegisterForReflection
    @Schema(name = "MergeRun", description = "the merge of a completed task's LoRA adapter into merged_model/")
    public record View(
            @Schema(required = true) MergeState state,
            Instant requestedAt,
            Instant startedAt,
            Instant finishedAt,
            String errorCode,
            String errorMessage,
            @Schema(required = true) boolean cancelRequested) {}
}
