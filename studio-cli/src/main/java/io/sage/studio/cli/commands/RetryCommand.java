package io.sage.studio.cli.commands;

import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.cli.api.TaskView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sage finetune retry ID [--no-checkpoint] [--wait] [--json]}: runs a failed or cancelled task again under the
 * same id as its next attempt ({@code POST /api/finetune/tasks/{id}/retry}), from the trainer's latest checkpoint
 * unless {@code --no-checkpoint}. With {@code --wait} it follows the task like {@code start --wait} (exit 0
 * completed, 3 cancelled, 1 failed); a task in another state is refused with the server's message (exit 1).
 */
@Command(
        name = "retry",
        mixinStandardHelpOptions = true,
        description = "Run a failed or cancelled task again (same id, next attempt), from its last checkpoint.")
public class RetryCommand extends TaskActionCommand {

    @Option(names = "--no-checkpoint", description = "Start from the beginning even when the task has a checkpoint.")
    boolean noCheckpoint;

    @Override
    String action() {
        return "retry";
    }

    @Override
    Object body() {
        return Map.of("from_checkpoint", !noCheckpoint);
    }

    @Override
    String said(JsonNode queued, TaskView task) {
        long step = queued.path("step").asLong(0);
        return "Retrying task " + id + " as attempt " + queued.path("attempt").asInt(0) + " ("
                + Output.orEmpty(task.status()) + ", "
                + (step > 0 ? "resuming after step " + step : "from the start") + ")";
    }
}
