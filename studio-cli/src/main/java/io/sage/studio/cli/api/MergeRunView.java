package io.sage.studio.cli.api;

import java.util.Set;

/**
 * A task's {@code merge_run} as the finetune-service shows it: the merge of its LoRA adapter into
 * {@code merged_model/} ({@code POST /api/finetune/tasks/{id}/merge}).
 *
 * @param state {@code queued}, {@code running}, {@code succeeded}, {@code failed} or {@code cancelled}
 */
public record MergeRunView(
        String state,
        String requestedAt,
        String startedAt,
        String finishedAt,
        String errorCode,
        String errorMessage,
        Boolean cancelRequested) {

    private static final Set<String> ACTIVE = Set.of("queued", "running");

    /** Whether the merge has ended (a state this CLI does not know counts as ended: nothing more to wait for). */
    public boolean ended() {
        return state == null || !ACTIVE.contains(state);
    }
}
