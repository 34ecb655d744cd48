package io.sage.studio.cli.commands;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.events.StudioJson;

/** Small formatting helpers shared by the commands. */
final class Output {

    private Output() {
    }

    static void json(PrintStream out, JsonNode node) {
        try {
            out.println(StudioJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isMissingNode() || value.isNull() ? "-" : value.asText();
    }

    static String number(JsonNode node, String field, String format) {
        JsonNode value = node.path(field);
        return value.isNumber() ? String.format(Locale.ROOT, format, value.asDouble()) : "-";
    }

    static String duration(long seconds) {
        Duration d = Duration.ofSeconds(Math.max(0, seconds));
        return d.toHours() > 0
                ? String.format(Locale.ROOT, "%dh%02dm", d.toHours(), d.toMinutesPart())
                : String.format(Locale.ROOT, "%dm%02ds", d.toMinutes(), d.toSecondsPart());
    }

    static String statusIcon(String status) {
        return switch (status == null ? "" : status) {
            case "completed" -> "✅";
            case "training", "preparing" -> "🔄";
            case "queued", "pending" -> "⏳";
            case "failed" -> "❌";
            case "cancelled" -> "⊘";
            default -> "·";
        };
    }

    static String truncate(String s, int width) {
        return s.length() <= width ? s : s.substring(0, width - 1) + "…";
    }
}
