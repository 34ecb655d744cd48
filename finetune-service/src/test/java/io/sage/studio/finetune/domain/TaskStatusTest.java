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
    void finishedTasksNeverMoveAndRunningOnesOnlyMoveForward() {
        for (TaskStatus done : new TaskStatus[] {TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED}) {
            for (TaskStatus next : TaskStatus.values()) {
                assertThat(done.canMoveTo(next)).isFalse();
            }
        }
        assertThat(TaskStatus.QUEUED.canMoveTo(TaskStatus.PREPARING)).isTrue();
        assertThat(TaskStatus.QUEUED.canMoveTo(TaskStatus.COMPLETED)).isFalse();
        assertThat(TaskStatus.PREPARING.canMoveTo(TaskStatus.TRAINING)).isTrue();
        assertThat(TaskStatus.PREPARING.canMoveTo(TaskStatus.QUEUED)).isTrue();
        assertThat(TaskStatus.TRAINING.canMoveTo(TaskStatus.PREPARING)).isFalse();
        assertThat(TaskStatus.TRAINING.canMoveTo(TaskStatus.COMPLETED)).isTrue();
    }
}
