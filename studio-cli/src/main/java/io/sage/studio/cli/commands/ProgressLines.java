package io.sage.studio.cli.commands;

import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;

/** The one-line progress of a task, as {@code sage finetune start --wait} prints it. */
public final class ProgressLines {

    private ProgressLines() {
    }

    /** {@code [########------------]  42.5% training step 17/40 epoch 1.27/3 loss 0.8313 ETA 1m35s}. */
    public static String of(JsonNode t) {
        double pct = t.path("progress").asDouble();
        int filled = (int) (Math.max(0, Math.min(100, pct)) / 5);
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "[%s%s] %5.1f%% %-9s",
                "#".repeat(filled), "-".repeat(20 - filled), pct, t.path("status").asText()));
        if (t.path("queue_position").isNumber()) {
            line.append(" queue #").append(t.path("queue_position").asInt());
        }
        if (t.path("total_steps").asLong() > 0) {
            line.append(String.format(Locale.ROOT, " step %d/%d", t.path("step").asLong(), t.path("total_steps").asLong()));
        }
        if (t.path("total_epochs").asInt() > 0) {
            line.append(String.format(Locale.ROOT, " epoch %.2f/%d", t.path("current_epoch").asDouble(), t.path("total_epochs").asInt()));
        }
        if (t.path("loss").isNumber()) {
            line.append(String.format(Locale.ROOT, " loss %.4f", t.path("loss").asDouble()));
        }
        if (t.path("eta_seconds").isNumber()) {
            line.append(" ETA ").append(Output.duration(t.path("eta_seconds").asLong()));
        }
        return line.toString();
    }
}
