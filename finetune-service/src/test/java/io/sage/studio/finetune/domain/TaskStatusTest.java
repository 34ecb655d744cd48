package io.sage.studio.finetune.domain;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TaskStatusTest {

    @Test
    void wireNamesAreTheSeedStrings() {
        assertThat(TaskStatus.values())
                .extracting(TaskStatus::wire)
                .containsExactly(
                        "pending", "queued", "preparing", "training", "completed", "failed", "cancelled", "paused");
        assertThat(TaskStatus.of("Training")).isEqualTo(TaskStatus.TRAINING);
    }

    @Test
    void finishedTasksOnlyMoveToQueuedByARetryAndRunningOnesOnlyMoveForward() {
        for (TaskStatus next : TaskStatus.values()) {
            assertThat(TaskStatus.COMPLETED.canMoveTo(next)).isFalse();
            // a retry of a failed or cancelled task (POST …/retry) queues it again; nothing else moves it
            assertThat(TaskStatus.FAILED.canMoveTo(next)).isEqualTo(next == TaskStatus.QUEUED);
            assertThat(TaskStatus.CANCELLED.canMoveTo(next)).isEqualTo(next == TaskStatus.QUEUED);
            // a paused task is resumed (queued) or cancelled, nothing else
            assertThat(TaskStatus.PAUSED.canMoveTo(next))
                    .isEqualTo(next == TaskStatus.QUEUED || next == TaskStatus.CANCELLED);
        }
        for (TaskStatus from : new TaskStatus[] {TaskStatus.QUEUED, TaskStatus.PREPARING, TaskStatus.TRAINING}) {
            assertThat(from.canMoveTo(TaskStatus.PAUSED)).isTrue();
        }
        // a trainer that died is resumed automatically: training goes back to queued as the next attempt
        assertThat(TaskStatus.TRAINING.canMoveTo(TaskStatus.QUEUED)).isTrue();
        assertThat(TaskStatus.PAUSED.idle()).isTrue();
        assertThat(TaskStatus.PAUSED.terminal()).isFalse();
        assertThat(TaskStatus.QUEUED.canMoveTo(TaskStatus.PREPARING)).isTrue();
        assertThat(TaskStatus.QUEUED.canMoveTo(TaskStatus.COMPLETED)).isFalse();
        assertThat(TaskStatus.PREPARING.canMoveTo(TaskStatus.TRAINING)).isTrue();
        assertThat(TaskStatus.PREPARING.canMoveTo(TaskStatus.QUEUED)).isTrue();
        assertThat(TaskStatus.TRAINING.canMoveTo(TaskStatus.PREPARING)).isFalse();
        assertThat(TaskStatus.TRAINING.canMoveTo(TaskStatus.COMPLETED)).isTrue();
    }
}
