package io.sage.studio.cli.commands;

import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.cli.api.TaskView;
import io.sage.studio.cli.client.StudioClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

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
public class RetryCommand implements Callable<Integer> {

    @Parameters(paramLabel = "ID")
    String id;

    @Option(names = "--no-checkpoint", description = "Start from the beginning even when the task has a checkpoint.")
    boolean noCheckpoint;

    @Option(names = "--wait", description = "Show live progress until the task ends; the exit code tells the outcome.")
    boolean await;

    @Mixin
    ClientOptions options;

    @Override
    public Integer call() {
        StudioClient client = options.client();
        PrintStream out = options.json() ? System.err : System.out;
        JsonNode queued =
                client.post(FinetuneCommand.taskPath(id) + "/retry", Map.of("from_checkpoint", !noCheckpoint));
        TaskView task = StudioClient.as(queued, TaskView.class);
        long step = queued.path("step").asLong(0);
        out.println(
                "Retrying task " + id + " as attempt " + queued.path("attempt").asInt(0) + " ("
                        + Output.orEmpty(task.status()) + ", "
                        + (step > 0 ? "resuming after step " + step : "from the start") + ")");
        if (!await) {
            if (options.json()) {
                Output.json(System.out, queued);
            }
            return 0;
        }
        FinetuneCommand.ProgressFollower follower = new FinetuneCommand.ProgressFollower(client, out);
        TaskView end = follower.follow(id);
        if (options.json()) {
            Output.json(System.out, follower.latestJson());
        }
        return FinetuneCommand.exitCode(end);
    }
}
