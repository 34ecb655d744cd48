package io.sage.studio.gpu.estimate;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.events.StudioJson;

/**
 * Replays peaks measured on a real GPU by {@code bench/gpu/calibrate.py} (random-weight models with the
 * catalogue's shapes, three optimizer steps each) against the estimator: every measured peak must lie in
 * [low, high] and within 20% of the expected value. A change of constants that breaks this is a regression.
 *
 * <p>{@code -Dcalibration.file=PATH} replays another measurement file; {@code -Dcalibration.report=true} prints
 * the comparison ({@code bench/gpu/compare.sh} does both).
 */
class CalibrationTest {

    private static final String FITTED = "/calibration/h200-torch2.11-transformers5.17.jsonl";
    private static final String HELD_OUT = "/calibration/h200-holdout-torch2.11-transformers5.17.jsonl";
    private static final String OTHER_FILE = System.getProperty("calibration.file", "");

    @Test
    void everyMeasuredPeakIsInsideTheRangeAndWithinTwentyPercentOfExpected() throws IOException {
        List<String> report = check(OTHER_FILE.isEmpty() ? resource(FITTED) : file(OTHER_FILE));
        if (OTHER_FILE.isEmpty()) {
            assertThat(report).hasSize(20 + 1);
        }
    }

    /** Runs never used to fit the constants: other shapes (3B, 8B), 4096 tokens, fp16 LoRA, other ranks. */
    @Test
    void heldOutRunsAreEstimatedAsWell() throws IOException {
        assertThat(check(resource(HELD_OUT))).hasSize(10 + 1);
    }

    /** The estimate of every run against its measured peak; the last line sums up. */
    private static List<String> check(List<JsonNode> rows) {
        MemoryEstimator estimator = new MemoryEstimator();
        List<String> report = new ArrayList<>();
        List<String> outside = new ArrayList<>();
        double worst = 0;
        for (JsonNode row : rows) {
            TrainingSetup setup = new TrainingSetup(
                    Method.parse(row.get("method").asText()),
                    Precision.parse(row.path("precision").asText("bf16")),
                    row.get("batch_size").asInt(),
                    row.get("max_length").asInt(),
                    1,
                    row.path("lora_r").asInt(16),
                    ModelArchitecture.LINEAR_MODULES,
                    row.get("gradient_checkpointing").asBoolean(),
                    false);
            MemoryEstimate estimate =
                    estimator.estimate(architecture(row), row.get("params").asLong(), setup);
            long measured = devicePeak(row);
            double error = (double) estimate.expectedBytes() / measured - 1;
            worst = Math.max(worst, Math.abs(error));
            String line = String.format(
                    Locale.ROOT,
                    "%s %s %s b%d s%d gc=%s: measured %.2f GiB, expected %.2f " + "[%.2f, %.2f] (%+.1f%%)",
                    row.path("name").asText("trainer-check"),
                    setup.method().id(),
                    setup.precision().id(),
                    setup.batchSize(),
                    setup.maxLength(),
                    setup.gradientCheckpointing(),
                    gib(measured),
                    gib(estimate.expectedBytes()),
                    gib(estimate.lowBytes()),
                    gib(estimate.highBytes()),
                    error * 100);
            report.add(line);
            if (measured < estimate.lowBytes() || measured > estimate.highBytes() || Math.abs(error) > 0.20) {
                outside.add(line);
            }
        }
        report.add(String.format(
                Locale.ROOT,
                "%d runs, worst error %.1f%%, %d outside [low, high] or 20%%",
                rows.size(),
                worst * 100,
                outside.size()));
        if (Boolean.getBoolean("calibration.report")) {
            report.forEach(System.out::println);
        }
        assertThat(outside)
                .as("runs outside [low, high] or off by more than 20%")
                .isEmpty();
        if (OTHER_FILE.isEmpty()) {
            assertThat(worst).as(String.join("\n", report)).isLessThan(0.12);
        }
        return report;
    }

    /** The architecture is read right: PyTorch's parameter counts of the measured models are the estimator's. */
    @Test
    void theMeasuredModelsHaveTheParameterCountsTheEstimatorComputes() throws IOException {
        List<JsonNode> rows = new ArrayList<>(resource(FITTED));
        rows.addAll(resource(HELD_OUT));
        for (JsonNode row : rows) {
            assertThat(architecture(row).countParams())
                    .as(row.path("name").asText("trainer check"))
                    .isEqualTo(row.get("params").asLong());
        }
    }

    private static List<JsonNode> resource(String name) throws IOException {
        try (InputStream in = CalibrationTest.class.getResourceAsStream(name)) {
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    private static List<JsonNode> file(String path) throws IOException {
        return parse(Files.readString(Path.of(path), StandardCharsets.UTF_8));
    }

    private static List<JsonNode> parse(String text) throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("CALIBRATION ")) {
                rows.add(StudioJson.mapper().readTree(line.substring("CALIBRATION ".length())));
            }
        }
        return rows;
    }

    /**
     * The architecture of a measured model: {@code architecture} as calibrate.py writes it, or, for the lines of
     * the trainer's GPU check ({@code trainer/gpu_check.py}), its tiny Qwen2 built from {@code hidden}, {@code layers}
     * and {@code vocab} with heads = hidden / 64, key/value heads = heads / 2, intermediate = 4 x hidden, tied.
     */
    static ModelArchitecture architecture(JsonNode row) {
        JsonNode a = row.get("architecture");
        if (a == null) {
            int hidden = row.get("hidden").asInt();
            int heads = Math.max(1, hidden / 64);
            return new ModelArchitecture(
                    hidden,
                    row.get("layers").asInt(),
                    heads,
                    Math.max(1, heads / 2),
                    hidden / heads,
                    4 * hidden,
                    row.get("vocab").asInt(),
                    true,
                    true);
        }
        int hidden = a.get("hidden_size").asInt();
        int heads = a.get("num_attention_heads").asInt();
        return new ModelArchitecture(
                hidden,
                a.get("num_hidden_layers").asInt(),
                heads,
                a.get("num_key_value_heads").asInt(),
                hidden / heads,
                a.get("intermediate_size").asInt(),
                a.get("vocab_size").asInt(),
                a.get("tie_word_embeddings").asBoolean(),
                a.get("model_type").asText().equals("qwen2"));
    }

    /**
     * What the process held on the device at its peak. calibrate.py measures it (reserved + CUDA context); the
     * trainer's check reports PyTorch's reserved peak only, to which the modelled context is added.
     */
    static long devicePeak(JsonNode row) {
        if (row.has("peak_memory_reserved_bytes")) {
            return row.get("peak_memory_reserved_bytes").asLong() + EstimatorConstants.CURRENT.cudaContextBytes();
        }
        return row.get("peak_memory_bytes").asLong();
    }

    private static double gib(long bytes) {
        return bytes / (double) (1L << 30);
    }
}
