package io.sage.studio.finetune.task;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.finetune.progress.ProgressTracker;
import io.sage.studio.finetune.storage.TreeFiles;

/**
 * The files of a retry ({@code POST …/retry}): the trainer's latest checkpoint in the task folder, and the progress file
 * a new attempt starts from.
 */
final class Retries {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Where the trainer writes checkpoints ({@code <output_dir>/checkpoints/step-N/}, output_dir is the task folder). */
    static final String CHECKPOINTS = "checkpoints";
    /** The longest progress record carried over (the same bound as {@code ProgressTracker}'s). */
    private static final int MAX_LINE = 1 << 20;

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

    /**
     * An attempt that starts from the start keeps the ended attempt's checkpoints as {@code checkpoints.attempt-<n>/}
     * (like its {@code progress.attempt-<n>.jsonl}): left in {@code checkpoints/}, a later automatic resume or a
     * {@code resume_from: latest} would take one of them - of the old run, perhaps at a higher step - for this one's.
     */
    static void setCheckpointsAside(Path taskDir, int endedAttempt) throws IOException {
        Path root = taskDir.resolve(CHECKPOINTS);
        if (Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            Path aside = taskDir.resolve(CHECKPOINTS + ".attempt-" + endedAttempt);
            TreeFiles.delete(aside); // left by an earlier try of this retry that failed later
            Files.move(root, aside, StandardCopyOption.ATOMIC_MOVE);
        }
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
     * {@code progress.attempt-<n>.jsonl}, and the new one holds only its {@code metrics} and {@code eval} records up
     * to {@code keepUpToStep} (the checkpoint's step, so the loss curves, the step and the best eval loss so far continue
     * where the trainer resumes; {@code -1}: none). No phase, artifact or error record is carried over, so the task never shows the last
     * attempt's end. Returns a tracker that has read the new file.
     */
    static ProgressTracker restartProgress(Path taskDir, int endedAttempt, long keepUpToStep) throws IOException {
        Path progress = taskDir.resolve(ProgressTracker.FILE);
        Path next = taskDir.resolve("." + ProgressTracker.FILE + ".retry");
        Files.deleteIfExists(next); // a leftover of an interrupted retry (never followed if it is a link)
        try (OutputStream out = Files.newOutputStream(next, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            if (keepUpToStep >= 0 && Files.isRegularFile(progress, LinkOption.NOFOLLOW_LINKS)) {
                try (InputStream in =
                        new BufferedInputStream(Files.newInputStream(progress, LinkOption.NOFOLLOW_LINKS))) {
                    byte[] line;
                    while ((line = readLine(in)) != null) {
                        JsonNode record = parse(line);
                        String type = record.path("type").asText();
                        if (("metrics".equals(type) || "eval".equals(type))
                                && record.path("step").isIntegralNumber()
                                && record.path("step").asLong() <= keepUpToStep) {
                            out.write(line);
                            out.write('\n');
                        }
                    }
                }
            }
        }
        if (Files.isRegularFile(progress, LinkOption.NOFOLLOW_LINKS)) {
            AtomicFiles.moveDurably(progress, taskDir.resolve("progress.attempt-" + endedAttempt + ".jsonl"));
        } else {
            Files.deleteIfExists(progress); // a link or anything else is never read, kept or followed
        }
        AtomicFiles.moveDurably(next, progress);
        ProgressTracker tracker = new ProgressTracker(taskDir);
        tracker.poll();
        return tracker;
    }

    /**
     * The next line without its end ({@code null} at the end of the file); a line over {@link #MAX_LINE} bytes (never
     * a protocol record) is skipped whole, so memory stays bounded whatever the file holds.
     */
    private static byte[] readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean tooLong = false;
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            if (line.size() < MAX_LINE) {
                line.write(b);
            } else {
                tooLong = true;
            }
        }
        if (b == -1 && line.size() == 0) {
            return null;
        }
        return tooLong ? new byte[0] : line.toByteArray();
    }

    private static JsonNode parse(byte[] line) {
        if (line.length == 0) {
            return JSON.missingNode();
        }
        try {
            JsonNode node = JSON.readTree(line);
            return node == null ? JSON.missingNode() : node;
        } catch (IOException e) {
            return JSON.missingNode();
        }
    }
}
