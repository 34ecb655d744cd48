package io.sage.studio.cli.commands;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.events.StudioJson;

/** Small formatting helpers shared by the commands. */
final class Output {

    private Output() {}

    static void json(PrintStream out, JsonNode node) {
        try {
            out.println(StudioJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A field as the tables print it: {@code -} when absent. */
    static String text(Object value) {
        return value == null ? "-" : value.toString();
    }

    /** A field as a sentence prints it: empty when absent. */
    static String orEmpty(Object value) {
        return value == null ? "" : value.toString();
    }

    static String number(Double value, String format) {
        return value != null ? String.format(Locale.ROOT, format, value) : "-";
    }

    static double or0(Double value) {
        return value == null ? 0 : value;
    }

    static int or0(Integer value) {
        return value == null ? 0 : value;
    }

    static long or0(Long value) {
        return value == null ? 0 : value;
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
            case "paused" -> "⏸";
            default -> "·";
        };
    }

    static String truncate(String s, int width) {
        return s.length() <= width ? s : s.substring(0, width - 1) + "…";
    }
}
