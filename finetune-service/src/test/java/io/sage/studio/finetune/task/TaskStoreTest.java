package io.sage.studio.finetune.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.storage.Durability;

class TaskStoreTest {

    @TempDir
    Path root;

    private static TaskRecord record(String id, TaskStatus status) {
        return TaskRecord.builder()
                .taskId(id)
                .modelName("Qwen/Qwen2.5-0.5B-Instruct")
                .status(status)
                .createdAt(Instant.parse("2026-01-01T00:00:00Z"))
                .revision(1)
                .build();
    }

    @Test
    void aFailedMetadataWriteLeavesTheOldFileAndTheOldStateIntact() throws IOException {
        TaskStore store = new TaskStore(root, AtomicFiles::write);
        Files.createDirectories(root.resolve("ft-1"));
        store.save(record("ft-1", TaskStatus.QUEUED));
        byte[] before = Files.readAllBytes(root.resolve("ft-1").resolve(TaskStore.META_FILE));

        // The disk fills up: the temp file gets half the bytes, then the write fails (as AtomicFiles would see it).
        TaskStore full = new TaskStore(root, (target, content) -> {
            Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".tmp");
            try {
                Files.write(tmp, Arrays.copyOf(content, content.length / 2));
                throw new IOException("No space left on device");
            } finally {
                Files.deleteIfExists(tmp);
            }
        });
        full.rescan();
        TaskRecord cancelled = full.get("ft-1").orElseThrow().toBuilder()
                .status(TaskStatus.CANCELLED)
                .revision(2)
                .build();
        assertThatThrownBy(() -> full.save(cancelled)).hasMessageContaining("No space left");

        assertThat(Files.readAllBytes(root.resolve("ft-1").resolve(TaskStore.META_FILE)))
                .isEqualTo(before);
        assertThat(full.get("ft-1")).get().extracting(TaskRecord::status).isEqualTo(TaskStatus.QUEUED);
        try (Stream<Path> files = Files.list(root.resolve("ft-1"))) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly(TaskStore.META_FILE);
        }
    }

    @Test
    void refusesAStatusChangeTheStateMachineForbids() throws IOException {
        TaskStore store = new TaskStore(root, AtomicFiles::write);
        Files.createDirectories(root.resolve("ft-2"));
        store.save(record("ft-2", TaskStatus.COMPLETED));
        assertThatThrownBy(() -> store.save(record("ft-2", TaskStatus.TRAINING)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("completed to training");
    }

    @Test
    void aCopiedInFolderIsListedWithItsPathsRederivedAndHiddenFoldersAreSkipped() throws IOException {
        Path copied = Files.createDirectories(root.resolve("ft-copied"));
        Files.createDirectories(copied.resolve("lora"))
                .resolve("adapter_config.json")
                .toFile()
                .createNewFile();
        Files.writeString(copied.resolve(TaskStore.META_FILE), """
                {"task_id": "ft-elsewhere", "model_name": "Qwen/Qwen2.5-0.5B-Instruct", "status": "completed",
                 "output_dir": "/home/someone/.sage/studio_finetune/ft-elsewhere", "progress": 100,
                 "created_at": "2025-11-01T10:00:00Z", "unknown_field": 1}
                """);
        Files.createDirectories(root.resolve(".creating-ft-x"));
        Files.writeString(Files.createDirectories(root.resolve("no-meta")).resolve("notes.txt"), "x");

        TaskStore store = new TaskStore(root, AtomicFiles::write);
        TaskStore.Changes changes = store.rescan();
        assertThat(changes.added()).extracting(TaskRecord::taskId).containsExactly("ft-copied");
        TaskRecord r = store.get("ft-copied").orElseThrow();
        assertThat(r.outputDir()).isEqualTo(copied.toString());
        assertThat(r.artifacts()).containsEntry("lora", "lora");

        Files.delete(copied.resolve("lora").resolve("adapter_config.json"));
        Files.delete(copied.resolve("lora"));
        Files.delete(copied.resolve(TaskStore.META_FILE));
        Files.delete(copied);
        assertThat(store.rescan().removed()).extracting(TaskRecord::taskId).isEqualTo(List.of("ft-copied"));
    }

    @Test
    void aCommittedTaskFolderIsForcedToDiskBeforeAndAfterItsRename() throws IOException {
        List<String> calls = new ArrayList<>();
        TaskStore store = new TaskStore(root, AtomicFiles::write, new Durability() {
            @Override
            public void file(Path file) {
                calls.add("file " + file.getFileName());
            }

            @Override
            public void directory(Path dir) {
                calls.add("dir "
                        + (dir.equals(root)
                                ? "root" + (Files.exists(root.resolve("ft-9")) ? " (after rename)" : "")
                                : dir.getFileName().toString()));
            }
        });
        Path staging = Files.createDirectories(root.resolve(".creating-ft-9"));
        TaskRecord record = record("ft-9", TaskStatus.QUEUED);
        store.write(staging, record);
        store.commit(staging, record);
        assertThat(calls).containsExactly("dir .creating-ft-9", "dir root (after rename)");
    }
}
