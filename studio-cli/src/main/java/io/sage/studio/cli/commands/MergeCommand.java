package io.sage.studio.cli.commands;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.cli.SageCli;
import io.sage.studio.cli.api.MergeRunView;
import io.sage.studio.cli.client.StudioClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sage finetune merge ID [--force] [--wait] [--json]}: merges a completed LoRA/QLoRA task's adapter into
 * {@code merged_model/} ({@code POST /api/finetune/tasks/{id}/merge}). With {@code --wait} it prints a line per change
 * of the merge until it ends; the exit code tells the outcome (0 succeeded, 3 cancelled, 1 failed).
 */
@Command(
        name = "merge",
        mixinStandardHelpOptions = true,
        description =
                "Merge a completed LoRA/QLoRA task's adapter into a full model (merged_model/), servable on its own.")
public class MergeCommand implements Callable<Integer> {

    /** Between two reads of the task while waiting. */
    static final Duration POLL = Duration.ofMillis(500);

    @Parameters(paramLabel = "ID")
    String id;

    @Option(names = "--force", description = "Merge again although the task already has a merged model.")
    boolean force;

    @Option(names = "--wait", description = "Show the merge's progress until it ends; the exit code tells the outcome.")
    boolean await;

    @Mixin
    ClientOptions options;

    @Override
    public Integer call() {
        StudioClient client = options.client();
        PrintStream out = options.json() ? System.err : System.out;
        String path = FinetuneCommand.taskPath(id);
        JsonNode accepted = client.post(path + "/merge" + (force ? "?force=true" : ""), Map.of());
        MergeRunView merge = mergeOf(accepted);
        out.println("Merging task " + id + " (" + Output.orEmpty(merge == null ? null : merge.state()) + ")");
        if (!await) {
            if (options.json()) {
                Output.json(System.out, accepted);
            }
            return 0;
        }
        JsonNode latest = accepted;
        String lastLine = "";
        while (true) {
            String line = line(latest, merge);
            if (!line.equals(lastLine)) {
                out.println(line);
                lastLine = line;
            }
            if (merge == null || merge.ended()) {
                break;
            }
            sleep(POLL);
            latest = client.get(path);
            merge = mergeOf(latest);
        }
        if (options.json()) {
            Output.json(System.out, latest);
        }
        String state = merge == null ? "" : Output.orEmpty(merge.state());
        out.println(icon(state) + " " + id + " merge " + state
                + (merge != null && merge.errorMessage() != null ? ": " + merge.errorMessage() : ""));
        if ("succeeded".equals(state)) {
            String merged = latest.path("artifacts").path("merged_model").asText("");
            if (!merged.isEmpty()) {
                out.println("  merged_model: " + merged);
            }
        }
        return switch (state) {
            case "succeeded" -> 0;
            case "cancelled" -> SageCli.EXIT_CANCELLED;
            default -> 1;
        };
    }

    private static MergeRunView mergeOf(JsonNode task) {
        JsonNode merge = task.path("merge_run");
        return merge.isObject() ? StudioClient.as(merge, MergeRunView.class) : null;
    }

    /** {@code merge running  phase merging  (the trainer pod is waiting to be scheduled)}. */
    static String line(JsonNode task, MergeRunView merge) {
        StringBuilder line = new StringBuilder("merge ").append(merge == null ? "?" : Output.orEmpty(merge.state()));
        String phase = task.path("phase").asText("");
        if (!phase.isEmpty()) {
            line.append("  phase ").append(phase);
        }
        String message = task.path("status_message").asText("");
        if (!message.isEmpty()) {
            line.append("  (").append(message).append(')');
        }
        return line.toString();
    }

    private static String icon(String state) {
        return switch (state) {
            case "succeeded" -> Output.statusIcon("completed");
            case "failed" -> Output.statusIcon("failed");
            case "cancelled" -> Output.statusIcon("cancelled");
            default -> Output.statusIcon("");
        };
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
