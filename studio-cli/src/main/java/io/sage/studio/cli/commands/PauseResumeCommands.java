package io.sage.studio.cli.commands;

import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.cli.api.TaskView;
import picocli.CommandLine.Command;

/**
 * {@code sage finetune pause ID [--wait] [--json]} and {@code sage finetune resume ID [--wait] [--json]}: a long run
 * gives its GPU back and goes on later from its checkpoint ({@code POST /api/finetune/tasks/{id}/pause|resume}).
 * {@code pause --wait} waits until the trainer has checkpointed and stopped (exit 0 paused; 3 cancelled, 1 failed, 0
 * completed if it finished first); {@code resume --wait} follows the resumed task like {@code start --wait}. A
 * refusal is the server's message (exit 1).
 */
final class PauseResumeCommands {

    private PauseResumeCommands() {}

    @Command(
            name = "pause",
            mixinStandardHelpOptions = true,
            description = "Pause a queued or running task: its trainer checkpoints and stops; resume continues it.")
    static class Pause extends TaskActionCommand {

        @Override
        String action() {
            return "pause";
        }

        @Override
        Object body() {
            return Map.of();
        }

        @Override
        String said(JsonNode answer, TaskView task) {
            return "paused".equals(task.status())
                    ? "Paused task " + id + " at step " + answer.path("step").asLong(0)
                    : "Pausing task " + id + ": the trainer checkpoints and stops (" + Output.orEmpty(task.status())
                            + ")";
        }

        @Override
        int exitCode(TaskView end) {
            return "paused".equals(end.status()) ? 0 : FinetuneCommand.exitCode(end);
        }
    }

    @Command(
            name = "resume",
            mixinStandardHelpOptions = true,
            description = "Resume a paused task from its latest checkpoint (its next attempt).")
    static class Resume extends TaskActionCommand {

        @Override
        String action() {
            return "resume";
        }

        @Override
        Object body() {
            return Map.of();
        }

        @Override
        String said(JsonNode answer, TaskView task) {
            long step = answer.path("step").asLong(0);
            return "Resuming task " + id + " as attempt "
                    + answer.path("attempt").asInt(0) + " ("
                    + Output.orEmpty(task.status()) + ", "
                    + (step > 0 ? "resuming after step " + step : "from the start") + ")";
        }
    }
}
