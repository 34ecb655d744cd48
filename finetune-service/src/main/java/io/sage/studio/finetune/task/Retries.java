package io.sage.studio.finetune.task;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.finetune.progress.ProgressTracker;

/**
 * The files of a retry ({@code POST …/retry}): the trainer's latest checkpoint in the task folder, and the progress file
 * a new attempt starts from.
 */
final class Retries {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Where the trainer writes checkpoints ({@code <output_dir>/checkpoints/step-N/}, output_dir is the task folder). */
    static final String CHECKPOINTS = "checkpoints";

    private Retries() {}

    /**
     * A checkpoint of the trainer: {@code path} relative to the task folder (what {@code job.json}'s
     * {@code resume_from} names) and the step it was taken at.
     */
    record Checkpoint(String path, long step) {}

    /**
     * The checkpoint with the highest step that is complete the way the trainer reads one ({@code sage_trainer
     * checkpoint.read_state}): a real folder {@code step-N} with a {@code trainer_state.json} whose {@code step} is a
     * whole number and a {@code model/} folder. Links are never followed.
     */
    static Optional<Checkpoint> latestCheckpoint(Path taskDir) {
        Path root = taskDir.resolve(CHECKPOINTS);
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        Checkpoint best = null;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, "step-*")) {
            for (Path dir : dirs) {
                String suffix = dir.getFileName().toString().substring("step-".length());
                if (!suffix.matches("[0-9]{1,18}")
                        || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                        || !Files.isDirectory(dir.resolve("model"), LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                Path state = dir.resolve("trainer_state.json");
                if (!Files.isRegularFile(state, LinkOption.NOFOLLOW_LINKS) || Files.size(state) > 1 << 20) {
                    continue;
                }
                JsonNode step = readTree(state).path("step");
                if (step.isIntegralNumber() && (best == null || step.asLong() > best.step())) {
                    best = new Checkpoint(CHECKPOINTS + "/" + dir.getFileName(), step.asLong());
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.ofNullable(best);
    }

    private static JsonNode readTree(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            return JSON.missingNode();
        }
    }

    /**
     * Starts the progress file of a new attempt: the ended attempt's {@code progress.jsonl} is kept as
     * {@code progress.attempt-<n>.jsonl}, and the new one holds only its {@code metrics} records up to
     * {@code keepUpToStep} (the checkpoint's step, so the loss curve and the step continue where the trainer resumes;
     * {@code -1}: none). No phase, artifact or error record is carried over, so the task never shows the last
     * attempt's end. Returns a tracker that has read the new file.
     */
    static ProgressTracker restartProgress(Path taskDir, int endedAttempt, long keepUpToStep) throws IOException {
        Path progress = taskDir.resolve(ProgressTracker.FILE);
        StringBuilder kept = new StringBuilder();
        if (Files.isRegularFile(progress, LinkOption.NOFOLLOW_LINKS)) {
            if (keepUpToStep >= 0) {
                List<String> lines = Files.readAllLines(progress, StandardCharsets.UTF_8);
                for (String line : lines) {
                    JsonNode record = parse(line);
                    if ("metrics".equals(record.path("type").asText())
                            && record.path("step").isIntegralNumber()
                            && record.path("step").asLong() <= keepUpToStep) {
                        kept.append(line.strip()).append('\n');
                    }
                }
            }
            AtomicFiles.moveDurably(progress, taskDir.resolve("progress.attempt-" + endedAttempt + ".jsonl"));
        }
        AtomicFiles.write(progress, kept.toString().getBytes(StandardCharsets.UTF_8));
        ProgressTracker tracker = new ProgressTracker(taskDir);
        tracker.poll();
        return tracker;
    }

    private static JsonNode parse(String line) {
        try {
            JsonNode node = JSON.readTree(line);
            return node == null ? JSON.missingNode() : node;
        } catch (IOException e) {
            return JSON.missingNode();
        }
    }
}
