package io.sage.studio.finetune.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TaskStatus;

/**
 * {@code attempt}/{@code attempts}/{@code cloned_from} are new fields of {@code finetune_meta.json}: a file written
 * before them reads as attempt 1 with no earlier attempts; a retried record keeps the ended attempt.
 */
class AttemptsCompatibilityTest {

    @TempDir
    Path root;

    @Test
    void aMetaFileWithoutAttemptsReadsAsTheFirstAttempt() throws IOException {
        Path dir = Files.createDirectories(root.resolve("ft-20250101-000000-aaaaaa"));
        Files.writeString(dir.resolve(TaskStore.META_FILE), """
                {"schema_version":1,"task_id":"ft-20250101-000000-aaaaaa","model_name":"Qwen/Qwen2.5-0.5B-Instruct",
                 "status":"failed","created_at":"2025-01-01T00:00:00Z","started_at":"2025-01-01T00:00:01Z",
                 "completed_at":"2025-01-01T00:05:00Z","error_code":"cuda_oom","error_message":"out of memory",
                 "revision":7}""");
        TaskStore store = new TaskStore(root, AtomicFiles::write);
        store.rescan();
        TaskRecord record = store.get("ft-20250101-000000-aaaaaa").orElseThrow();
        assertThat(record.attempt()).isEqualTo(1);
        assertThat(record.attempts()).isEmpty();
        assertThat(record.clonedFrom()).isNull();

        Task view = Task.of(record, dir, null, "");
        assertThat(view.attempt()).isEqualTo(1);
        assertThat(view.attempts()).singleElement().satisfies(a -> {
            assertThat(a.attempt()).isEqualTo(1);
            assertThat(a.outcome()).isEqualTo(TaskStatus.FAILED);
            assertThat(a.errorCode()).isEqualTo("cuda_oom");
            assertThat(a.endedAt()).isEqualTo(Instant.parse("2025-01-01T00:05:00Z"));
        });

        TaskRecord retried = TaskTransitions.retried(record, 42, null);
        assertThat(retried.status()).isEqualTo(TaskStatus.QUEUED);
        assertThat(retried.attempt()).isEqualTo(2);
        assertThat(retried.revision()).isEqualTo(8);
        assertThat(retried.errorCode()).isNull();
        assertThat(retried.completedAt()).isNull();
        assertThat(retried.progress()).isZero();
        assertThat(retried.attempts()).singleElement().satisfies(a -> {
            assertThat(a.outcome()).isEqualTo(TaskStatus.FAILED);
            assertThat(a.errorMessage()).isEqualTo("out of memory");
        });
        store.save(retried);
        TaskStore reread = new TaskStore(root, AtomicFiles::write);
        reread.rescan();
        TaskRecord back = reread.get(record.taskId()).orElseThrow();
        assertThat(back.attempt()).isEqualTo(2);
        assertThat(back.attempts()).hasSize(1);
        assertThat(Task.of(back, dir, null, "").attempts())
                .extracting(a -> a.outcome())
                .containsExactly(TaskStatus.FAILED, null);
    }
}
