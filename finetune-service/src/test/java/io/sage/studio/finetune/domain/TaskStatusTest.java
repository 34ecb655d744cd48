package io.sage.studio.finetune.domain;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TaskStatusTest {

    @Test
    void wireNamesAreTheSeedStrings() {
        assertThat(TaskStatus.values())
                .extracting(TaskStatus::wire)
                .containsExactly("pending", "queued", "preparing", "training", "completed", "failed", "cancelled");
        assertThat(TaskStatus.of("Training")).isEqualTo(TaskStatus.TRAINING);
    }

    @Test
    void finishedTasksOnlyMoveToQueuedByARetryAndRunningOnesOnlyMoveForward() {
        for (TaskStatus next : TaskStatus.values()) {
            assertThat(TaskStatus.COMPLETED.canMoveTo(next)).isFalse();
            // a retry of a failed or cancelled task (POST …/retry) queues it again; nothing else moves it
            assertThat(TaskStatus.FAILED.canMoveTo(next)).isEqualTo(next == TaskStatus.QUEUED);
            assertThat(TaskStatus.CANCELLED.canMoveTo(next)).isEqualTo(next == TaskStatus.QUEUED);
        }
        assertThat(TaskStatus.QUEUED.canMoveTo(TaskStatus.PREPARING)).isTrue();
        assertThat(TaskStatus.QUEUED.canMoveTo(TaskStatus.COMPLETED)).isFalse();
        assertThat(TaskStatus.PREPARING.canMoveTo(TaskStatus.TRAINING)).isTrue();
        assertThat(TaskStatus.PREPARING.canMoveTo(TaskStatus.QUEUED)).isTrue();
        assertThat(TaskStatus.TRAINING.canMoveTo(TaskStatus.PREPARING)).isFalse();
        assertThat(TaskStatus.TRAINING.canMoveTo(TaskStatus.COMPLETED)).isTrue();
    }
}
