package io.sage.studio.cli.commands;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.cli.api.TaskView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sage finetune clone ID [--set key=value…] [--wait] [--json]}: a new task with the task's dataset (its own
 * copy), base model, method and settings, changed by the {@code --set} overrides ({@code POST
 * /api/finetune/tasks/{id}/clone}; the service validates them like a create and names a bad field).
 */
@Command(
        name = "clone",
        mixinStandardHelpOptions = true,
        description = "Create a new task with a task's dataset and settings, changing some (--set key=value).")
public class CloneCommand extends TaskActionCommand {

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description = "A field of the create request to change, e.g. --set num_epochs=5 --set lora_r=8 "
                    + "(numbers and true/false are sent as such; '-' in the key works like '_').")
    List<String> overrides = List.of();

    @Spec
    CommandSpec spec;

    @Override
    String action() {
        return "clone";
    }

    @Override
    Object body() {
        return overrides(overrides);
    }

    @Override
    String said(JsonNode created, TaskView task) {
        return "Created task " + Output.orEmpty(task.taskId()) + " from " + id + " (" + Output.orEmpty(task.status())
                + ")";
    }

    /** {@code key=value} pairs as a JSON object: whole numbers, decimals and true/false typed, the rest strings. */
    Map<String, Object> overrides(List<String> pairs) {
        Map<String, Object> body = new LinkedHashMap<>();
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new ParameterException(spec.commandLine(), "--set takes key=value, got '" + pair + "'");
            }
            String key = pair.substring(0, eq).strip().replace('-', '_').toLowerCase(Locale.ROOT);
            body.put(key, value(pair.substring(eq + 1)));
        }
        return body;
    }

    static Object value(String text) {
        if (text.equals("true") || text.equals("false")) {
            return Boolean.parseBoolean(text);
        }
        if (text.matches("-?[0-9]{1,9}")) {
            return Integer.parseInt(text);
        }
        if (text.matches("-?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?")) {
            return new BigDecimal(text);
        }
        return text;
    }
}
