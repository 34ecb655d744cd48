package io.sage.studio.gpu.estimate;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
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
 */
class CalibrationTest {

    private static final String MEASURED = "/calibration/h200-torch2.11-transformers5.17.jsonl";

    @Test
    void everyMeasuredPeakIsInsideTheRangeAndWithinTwentyPercentOfExpected() throws IOException {
        MemoryEstimator estimator = new MemoryEstimator();
        List<String> report = new ArrayList<>();
        double worst = 0;
        int rows = 0;
        for (JsonNode row : measurements()) {
            ModelArchitecture arch = architecture(row.get("architecture"));
            TrainingSetup setup = new TrainingSetup(Method.parse(row.get("method").asText()),
                    Precision.parse(row.get("precision").asText()), row.get("batch_size").asInt(),
                    row.get("max_length").asInt(), 1, row.get("lora_r").asInt(), ModelArchitecture.LINEAR_MODULES,
                    row.get("gradient_checkpointing").asBoolean(), false);
            MemoryEstimate estimate = estimator.estimate(arch, row.get("params").asLong(), setup);
            long measured = row.get("peak_memory_bytes").asLong();
            double error = (double) estimate.expectedBytes() / measured - 1;
            worst = Math.max(worst, Math.abs(error));
            rows++;
            String line = String.format(Locale.ROOT, "%s %s %s b%d s%d gc=%s: measured %.2f GiB, expected %.2f "
                    + "[%.2f, %.2f] (%+.1f%%)", row.get("name").asText(), setup.method().id(), setup.precision().id(),
                    setup.batchSize(), setup.maxLength(), setup.gradientCheckpointing(), gib(measured),
                    gib(estimate.expectedBytes()), gib(estimate.lowBytes()), gib(estimate.highBytes()), error * 100);
            report.add(line);
            assertThat(measured).as(line).isBetween(estimate.lowBytes(), estimate.highBytes());
            assertThat(Math.abs(error)).as(line).isLessThanOrEqualTo(0.20);
        }
        assertThat(rows).isEqualTo(20);
        assertThat(worst).as(String.join("\n", report)).isLessThan(0.12);
    }

    /**
     * The trainer validates the architecture numbers it is given the same way: parameter counts of the
     * random-weight models PyTorch built equal what the estimator counts from their config.
     */
    @Test
    void theMeasuredModelsHaveTheParameterCountsTheEstimatorComputes() throws IOException {
        for (JsonNode row : measurements()) {
            assertThat(architecture(row.get("architecture")).countParams()).as(row.get("name").asText())
                    .isEqualTo(row.get("params").asLong());
        }
    }

    private static List<JsonNode> measurements() throws IOException {
        try (InputStream in = CalibrationTest.class.getResourceAsStream(MEASURED)) {
            List<JsonNode> rows = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.startsWith("CALIBRATION ")) {
                    rows.add(StudioJson.mapper().readTree(line.substring("CALIBRATION ".length())));
                }
            }
            return rows;
        }
    }

    private static ModelArchitecture architecture(JsonNode a) {
        int hidden = a.get("hidden_size").asInt();
        int heads = a.get("num_attention_heads").asInt();
        return new ModelArchitecture(hidden, a.get("num_hidden_layers").asInt(), heads,
                a.get("num_key_value_heads").asInt(), hidden / heads, a.get("intermediate_size").asInt(),
                a.get("vocab_size").asInt(), a.get("tie_word_embeddings").asBoolean(),
                a.get("model_type").asText().equals("qwen2"));
    }

    private static double gib(long bytes) {
        return bytes / (double) (1L << 30);
    }
}
