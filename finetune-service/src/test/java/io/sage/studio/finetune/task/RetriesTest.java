package io.sage.studio.finetune.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sage.studio.finetune.progress.ProgressTracker;

/** The files of a retry: which checkpoint a retry resumes from, and the progress file the new attempt starts with. */
class RetriesTest {

    @TempDir
    Path task;

    private void checkpoint(String name, String state, boolean model) throws IOException {
        Path dir = Files.createDirectories(task.resolve("checkpoints").resolve(name));
        Files.writeString(dir.resolve("trainer_state.json"), state);
        if (model) {
            Files.createDirectories(dir.resolve("model"));
        }
    }

    @Test
    void theLatestCompleteCheckpointIsTheOneTheTrainerWouldAccept() throws IOException {
        assertThat(Retries.latestCheckpoint(task)).isEmpty();
        checkpoint("step-4", "{\"step\": 4}", true);
        checkpoint("step-8", "{\"step\": 8}", true);
        checkpoint("step-12", "{\"step\": 12}", false); // no model/: incomplete, read_state refuses it
        checkpoint("step-16", "{\"step\": \"sixteen\"}", true); // no whole step
        checkpoint("step-x", "{\"step\": 20}", true); // not step-<digits>
        checkpoint(".step-24.partial", "{\"step\": 24}", true); // being written
        Files.createSymbolicLink(task.resolve("checkpoints/step-99"), task.resolve("checkpoints/step-8"));
        assertThat(Retries.latestCheckpoint(task)).contains(new Retries.Checkpoint("checkpoints/step-8", 8));
    }

    @Test
    void anAttemptFromTheStartSetsTheOldCheckpointsAsideSoNoneIsTakenForItsOwn() throws IOException {
        checkpoint("step-30", "{\"step\": 30}", true);
        Files.createDirectories(task.resolve("checkpoints.attempt-1/step-2")); // left by a retry that failed later
        Retries.setCheckpointsAside(task, 1);
        assertThat(Retries.latestCheckpoint(task)).isEmpty(); // what resume_from latest would take: none, start fresh
        assertThat(task.resolve("checkpoints.attempt-1/step-30/model")).isDirectory();
        assertThat(task.resolve("checkpoints.attempt-1/step-2")).doesNotExist();
        Retries.setCheckpointsAside(task, 2); // no checkpoints/: nothing to do
        assertThat(task.resolve("checkpoints.attempt-2")).doesNotExist();
    }

    @Test
    void theNewProgressFileCarriesOnlyTheMetricsUpToTheCheckpoint() throws IOException {
        String old = String.join(
                "\n",
                "{\"type\":\"phase\",\"phase\":\"training\",\"time\":\"t\"}",
                "{\"type\":\"metrics\",\"step\":1,\"total_steps\":10,\"loss\":2.0,\"time\":\"t\"}",
                "{\"type\":\"metrics\",\"step\":2,\"total_steps\":10,\"loss\":1.5,\"time\":\"t\"}",
                "x".repeat(2 << 20),
                "{\"type\":\"metrics\",\"step\":3,\"total_steps\":10,\"loss\":1.2,\"time\":\"t\"}",
                "{\"type\":\"artifact\",\"kind\":\"checkpoint\",\"path\":\"checkpoints/step-3\",\"time\":\"t\"}",
                "{\"type\":\"error\",\"code\":\"cancelled\",\"message\":\"cancelled\",\"time\":\"t\"}",
                "{\"type\":\"metrics\",\"step\":2"); // a torn last line
        Files.writeString(task.resolve(ProgressTracker.FILE), old);

        ProgressTracker resumed = Retries.restartProgress(task, 1, 2);
        assertThat(resumed.step()).isEqualTo(2);
        assertThat(resumed.totalSteps()).isEqualTo(10);
        assertThat(resumed.errorCode()).isNull();
        assertThat(resumed.phase()).isNull();
        assertThat(Files.readAllLines(task.resolve(ProgressTracker.FILE)))
                .hasSize(2)
                .allMatch(line -> line.contains("\"metrics\""));
        assertThat(task.resolve("progress.attempt-1.jsonl")).hasContent(old);

        ProgressTracker fresh = Retries.restartProgress(task, 2, -1);
        assertThat(fresh.totalSteps()).isZero();
        assertThat(task.resolve(ProgressTracker.FILE)).isEmptyFile();
        assertThat(task.resolve("progress.attempt-2.jsonl")).isRegularFile();
        assertThat(task.resolve(".progress.jsonl.retry")).doesNotExist();
    }
}
