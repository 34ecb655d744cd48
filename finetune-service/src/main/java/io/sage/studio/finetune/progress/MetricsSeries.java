package io.sage.studio.finetune.progress;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The loss / learning-rate series of a task for a chart, read from its {@code progress.jsonl}: a point per
 * {@code metrics} record ({@code loss}, {@code learning_rate}, …) and, for a task that validates, a point per
 * {@code eval} record ({@code eval_loss} and its step and epoch, the training fields null), in the file's order, so a
 * chart draws both losses against the same steps. Thinning keeps the evaluations apart from the training points: a
 * series has at most {@code maxPoints} of each.
 */
public final class MetricsSeries {

    private static final ObjectMapper JSON = new ObjectMapper();

    private MetricsSeries() {}

    /** One {@code metrics} record, or one {@code eval} record ({@code evalLoss} set, the training fields null). */
    @Schema(name = "MetricPoint")
    public record Point(
            Long step,
            Double epoch,
            Double loss,
            Double learningRate,
            Double gradNorm,
            Double tokensPerSecond,
            String timestamp,

            @Schema(description = "the validation loss of an eval record (null on training points)")
            Double evalLoss) {

        boolean eval() {
            return evalLoss != null;
        }
    }

    /**
     * {@code GET …/metrics}: the task and its points (training and eval points each evenly thinned to at most
     * {@code maxPoints}, the last of each kept); {@code totalPoints} counts both kinds before thinning.
     */
    @Schema(name = "TaskMetrics")
    public record Series(
            @Schema(required = true) String taskId,
            @Schema(required = true) long totalPoints,
            @Schema(required = true) List<Point> points) {}

    public static Series read(String taskId, Path taskDir, int maxPoints) throws IOException {
        List<Point> points = new ArrayList<>();
        Path file = taskDir.resolve(ProgressTracker.FILE);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            // Missing, or a link (never followed: it could point at any file of the home).
            return new Series(taskId, 0, List.of());
        }
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                Point point = parse(line);
                if (point != null) {
                    points.add(point);
                }
            }
        } catch (NoSuchFileException e) {
            return new Series(taskId, 0, List.of());
        }
        List<Point> training = points.stream().filter(p -> !p.eval()).toList();
        List<Point> evals = points.stream().filter(Point::eval).toList();
        if (training.size() <= maxPoints && evals.size() <= maxPoints) {
            return new Series(taskId, points.size(), points);
        }
        Set<Point> kept = Collections.newSetFromMap(new IdentityHashMap<>());
        kept.addAll(thin(training, maxPoints));
        kept.addAll(thin(evals, maxPoints));
        return new Series(
                taskId, points.size(), points.stream().filter(kept::contains).toList());
    }

    private static Point parse(String line) {
        if (line.isBlank()) {
            return null;
        }
        try {
            JsonNode r = JSON.readTree(line);
            if (r == null) {
                return null;
            }
            String type = r.path("type").asText();
            if ("eval".equals(type)) {
                Double evalLoss = number(r, "eval_loss");
                return evalLoss == null || !r.path("step").isIntegralNumber()
                        ? null
                        : new Point(
                                r.get("step").asLong(),
                                number(r, "epoch"),
                                null,
                                null,
                                null,
                                null,
                                r.hasNonNull("time") ? r.get("time").asText() : null,
                                evalLoss);
            }
            if (!"metrics".equals(type)) {
                return null;
            }
            return new Point(
                    r.hasNonNull("step") ? r.get("step").asLong() : null,
                    number(r, "epoch"),
                    number(r, "loss"),
                    number(r, "learning_rate"),
                    number(r, "grad_norm"),
                    number(r, "tokens_per_second"),
                    r.hasNonNull("time") ? r.get("time").asText() : null,
                    null);
        } catch (IOException e) {
            return null;
        }
    }

    private static Double number(JsonNode r, String field) {
        JsonNode value = r.get(field);
        return value != null && value.isNumber() ? value.asDouble() : null;
    }

    static List<Point> thin(List<Point> points, int maxPoints) {
        if (points.size() <= maxPoints) {
            return points;
        }
        List<Point> out = new ArrayList<>(maxPoints);
        double stride = (points.size() - 1) / (double) (maxPoints - 1);
        for (int i = 0; i < maxPoints; i++) {
            out.add(points.get((int) Math.round(i * stride)));
        }
        return out;
    }
}
