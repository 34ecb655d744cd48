package io.sage.studio.cli.commands;

import java.io.PrintStream;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.cli.api.TaskView;
import io.sage.studio.cli.client.StudioClient;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * What {@code sage finetune clone|retry|pause|resume} share: a task {@code ID}, {@code --wait}, the client options
 * ({@code --json} among them), one {@code POST /api/finetune/tasks/{id}/<action>}, a line saying what happened (on
 * stderr with {@code --json}, whose stdout is the server's answer), and with {@code --wait} the task followed like
 * {@code start --wait} until it ends. Each command says only what it sends and what its line reads.
 */
abstract class TaskActionCommand implements Callable<Integer> {

    @Parameters(paramLabel = "ID")
    String id;

    @Option(names = "--wait", description = "Show live progress until the task ends; the exit code tells the outcome.")
    boolean await;

    @Mixin
    ClientOptions options;

    /** The path segment after {@code /tasks/{id}/}. */
    abstract String action();

    /** The request body. */
    abstract Object body();

    /** The line that says what the server did, from its answer. */
    abstract String said(JsonNode answer, TaskView task);

    /** The exit code of a followed task's end (by default: 0 completed, 3 cancelled, 1 otherwise). */
    int exitCode(TaskView end) {
        return FinetuneCommand.exitCode(end);
    }

    @Override
    public Integer call() {
        StudioClient client = options.client();
        PrintStream out = options.json() ? System.err : System.out;
        JsonNode answer = client.post(FinetuneCommand.taskPath(id) + "/" + action(), body());
        TaskView task = StudioClient.as(answer, TaskView.class);
        out.println(said(answer, task));
        task.warningsToShow().forEach(w -> out.println("  ⚠ " + w.text()));
        if (!await) {
            if (options.json()) {
                Output.json(System.out, answer);
            }
            return 0;
        }
        FinetuneCommand.ProgressFollower follower = new FinetuneCommand.ProgressFollower(client, out);
        TaskView end = follower.follow(Output.orEmpty(task.taskId()));
        if (options.json()) {
            Output.json(System.out, follower.latestJson());
        }
        return exitCode(end);
    }
}
