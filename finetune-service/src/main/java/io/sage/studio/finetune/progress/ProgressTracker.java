package io.sage.studio.finetune.progress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.sage.studio.finetune.domain.TrackerLink;
import io.sage.studio.finetune.domain.TrainerPhase;

/**
 * Follows one task's {@code progress.jsonl} (trainer protocol: {@code docs/trainer-protocol.md}) and folds its records into the
 * task's live state: phase, step, epoch, loss, learning rate, ETA, artifacts, the last error, and the validation figures
 * ({@code eval} records: the latest eval loss, the lowest and its step; the trainer's {@code best_checkpoint} artifact
 * has the last word on which one it kept), and the experiment trackers ({@code tracker} records). Reads only
 * complete lines from where it stopped; a line still being written is picked up on the next read.
 * Not thread-safe: one poller thread (or the exit handler, under the task's lock) uses it at a time.
 */
public final class ProgressTracker {

    public static final String FILE = "progress.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ARTIFACT_KINDS = Set.of("lora", "merged_model");
    /** The artifact record naming the checkpoint the trainer kept as the task's model (lowest eval loss). */
    private static final String BEST_CHECKPOINT = "best_checkpoint";

    /** A tracker's name as the protocol allows it; more names than this are ignored (the map stays small). */
    private static final Pattern TRACKER_NAME = Pattern.compile("[a-z_]{1,32}");

    private static final int MAX_TRACKERS = 8;
    private static final int MAX_TRACKER_TEXT = 2048;

    private static final int READ_CHUNK = 1 << 16;
    private static final int MAX_LINE = 1 << 20;

    private final Path file;
    private long offset;
    private byte[] partial = new byte[0];
    /** The rest of an over-long line is being skipped (a protocol record is never that long). */
    private boolean skipping;

    private TrainerPhase phase;
    private long step;
    private long totalSteps;
    private Double epoch;
    private Double loss;
    private Double learningRate;
    private Double tokensPerSecond;
    private Long etaSeconds;
    private Double evalLoss;
    private Double bestEvalLoss;
    private Long bestStep;
    private Instant firstMetricsAt;
    private long firstMetricsStep;
    private final Map<String, String> artifacts = new LinkedHashMap<>();
    private final Map<String, TrackerLink> trackers = new LinkedHashMap<>();
    private String errorCode;
    private String errorMessage;
    private boolean done;
    private boolean changed;

    public ProgressTracker(Path taskDir) {
        this(taskDir, 0);
    }

    /**
     * Follows the records appended after the first {@code fromOffset} bytes (a merge run after training appends its
     * records to the same file; its tracker starts where the file ended when it was launched).
     */
    public ProgressTracker(Path taskDir, long fromOffset) {
        this.file = taskDir.resolve(FILE);
        this.offset = Math.max(0, fromOffset);
    }

    /** The length of a task's {@code progress.jsonl} now ({@code 0} when there is none or it is a link). */
    public static long length(Path taskDir) {
        Path file = taskDir.resolve(FILE);
        try {
            return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** Reads the lines appended since the last call; returns whether the folded state changed. */
    public boolean poll() throws IOException {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (SeekableByteChannel in = TaskFiles.open(file)) {
            long length = in.size();
            if (length < offset) {
                offset = 0;
                partial = new byte[0];
            }
            while (offset < length) {
                int n = (int) Math.min(READ_CHUNK, length - offset);
                byte[] chunk = new byte[partial.length + n];
                System.arraycopy(partial, 0, chunk, 0, partial.length);
                ByteBuffer into = ByteBuffer.wrap(chunk, partial.length, n);
                in.position(offset);
                while (into.hasRemaining() && in.read(into) > 0) {
                    continue;
                }
                offset += n;
                int start = 0;
                for (int i = 0; i < chunk.length; i++) {
                    if (chunk[i] == '\n') {
                        if (!skipping) {
                            line(new String(chunk, start, i - start, StandardCharsets.UTF_8));
                        }
                        skipping = false;
                        start = i + 1;
                    }
                }
                partial = Arrays.copyOfRange(chunk, start, chunk.length);
                if (partial.length > MAX_LINE) {
                    partial = new byte[0];
                    skipping = true;
                }
            }
        }
        boolean result = changed;
        changed = false;
        return result;
    }

    private void line(String text) {
        if (text.isBlank()) {
            return;
        }
        JsonNode record;
        try {
            record = JSON.readTree(text);
        } catch (IOException e) {
            return;
        }
        if (record == null || !record.isObject()) {
            return;
        }
        switch (record.path("type").asText()) {
            case "phase" -> {
                TrainerPhase value =
                        TrainerPhase.reportedByTrainer(record.path("phase").asText(null));
                if (value != null) {
                    phase = value;
                    done |= value == TrainerPhase.DONE;
                    changed = true;
                }
            }
            case "metrics" -> metrics(record);
            case "eval" -> eval(record);
            case "artifact" -> {
                String kind = record.path("kind").asText("");
                String path = record.path("path").asText(null);
                if (ARTIFACT_KINDS.contains(kind) && path != null) {
                    artifacts.put(kind, path);
                    changed = true;
                } else if (BEST_CHECKPOINT.equals(kind)
                        && record.path("step").isIntegralNumber()
                        && record.path("eval_loss").isNumber()) {
                    bestStep = record.get("step").asLong();
                    bestEvalLoss = record.get("eval_loss").asDouble();
                    changed = true;
                }
            }
            case "tracker" -> tracker(record);
            case "error" -> {
                errorCode = record.path("code").asText("trainer_error");
                errorMessage = record.path("message").asText("the trainer reported an error");
                changed = true;
            }
            default -> {
                // Unknown record types are allowed by the protocol and ignored.
            }
        }
    }

    private void metrics(JsonNode r) {
        if (r.hasNonNull("step")) {
            step = r.get("step").asLong();
        }
        if (r.hasNonNull("total_steps")) {
            totalSteps = r.get("total_steps").asLong();
        }
        epoch = number(r, "epoch", epoch);
        loss = number(r, "loss", loss);
        learningRate = number(r, "learning_rate", learningRate);
        tokensPerSecond = number(r, "tokens_per_second", tokensPerSecond);
        Instant now = Instant.now();
        if (firstMetricsAt == null) {
            firstMetricsAt = now;
            firstMetricsStep = step;
        }
        if (r.hasNonNull("eta_seconds")) {
            etaSeconds = r.get("eta_seconds").asLong();
        } else if (totalSteps > 0 && step > firstMetricsStep) {
            double perStep = Duration.between(firstMetricsAt, now).toMillis() / 1000.0 / (step - firstMetricsStep);
            etaSeconds = Math.max(0, Math.round(perStep * (totalSteps - step)));
        }
        changed = true;
    }

    private void eval(JsonNode r) {
        JsonNode value = r.get("eval_loss");
        if (value == null || !value.isNumber() || !r.path("step").isIntegralNumber()) {
            return;
        }
        evalLoss = value.asDouble();
        if (bestEvalLoss == null || evalLoss < bestEvalLoss) {
            bestEvalLoss = evalLoss;
            bestStep = r.get("step").asLong();
        }
        changed = true;
    }

    /** A {@code tracker} record: the latest of each name wins (a new attempt reports its trackers again). */
    private void tracker(JsonNode r) {
        String name = r.path("name").asText("");
        if (!TRACKER_NAME.matcher(name).matches() || (!trackers.containsKey(name) && trackers.size() >= MAX_TRACKERS)) {
            return;
        }
        TrackerLink link = new TrackerLink(
                name, text(r, "state"), text(r, "run_id"), text(r, "url"), text(r, "log_dir"), text(r, "message"));
        if (!link.equals(trackers.put(name, link))) {
            changed = true;
        }
    }

    private static String text(JsonNode r, String field) {
        JsonNode value = r.get(field);
        if (value == null || !value.isTextual()) {
            return null;
        }
        String s = value.asText();
        return s.length() > MAX_TRACKER_TEXT ? s.substring(0, MAX_TRACKER_TEXT) : s;
    }

    private static Double number(JsonNode r, String field, Double previous) {
        JsonNode value = r.get(field);
        return value != null && value.isNumber() ? Double.valueOf(value.asDouble()) : previous;
    }

    public TrainerPhase phase() {
        return phase;
    }

    public long step() {
        return step;
    }

    public long totalSteps() {
        return totalSteps;
    }

    public Double epoch() {
        return epoch;
    }

    public Double loss() {
        return loss;
    }

    public Double learningRate() {
        return learningRate;
    }

    /** The trainer's latest throughput (input tokens a second), {@code null} until it reports one. */
    public Double tokensPerSecond() {
        return tokensPerSecond;
    }

    public Long etaSeconds() {
        return etaSeconds;
    }

    /** The latest validation loss, {@code null} before the first {@code eval} record. */
    public Double evalLoss() {
        return evalLoss;
    }

    /** The lowest validation loss so far (or the one of the trainer's {@code best_checkpoint}). */
    public Double bestEvalLoss() {
        return bestEvalLoss;
    }

    /** The step of {@link #bestEvalLoss()}. */
    public Long bestStep() {
        return bestStep;
    }

    /** The experiment trackers the trainer reported ({@code tracker} records), one per name, in the order first seen. */
    public List<TrackerLink> trackers() {
        return List.copyOf(trackers.values());
    }

    /** Artifact kind to the path the trainer reported (relative to the task directory, or absolute). */
    public Map<String, String> artifacts() {
        return artifacts;
    }

    public String errorCode() {
        return errorCode;
    }

    public String errorMessage() {
        return errorMessage;
    }

    /** The trainer reported the {@code done} phase: it finished its work. */
    public boolean done() {
        return done;
    }

    /** Percent complete from the step count, or {@code null} before the trainer knows its total. */
    public Double percent() {
        return totalSteps > 0 ? Math.min(100.0, Math.round(step * 1000.0 / totalSteps) / 10.0) : null;
    }
}
