package io.sage.studio.cli.commands;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.cli.SageCli;
import io.sage.studio.cli.client.StudioClient;
import io.sage.studio.cli.client.StudioClientException;
import io.sage.studio.events.StudioJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sage finetune …}: scriptable fine-tuning. */
@Command(name = "finetune", mixinStandardHelpOptions = true, description = "Create, watch and manage fine-tuning tasks.",
        subcommands = {FinetuneCommand.Start.class, FinetuneCommand.ListTasks.class, FinetuneCommand.Show.class,
                FinetuneCommand.Logs.class, FinetuneCommand.Cancel.class, FinetuneCommand.Remove.class,
                FinetuneCommand.Download.class})
public class FinetuneCommand implements Runnable {

    static final Set<String> TERMINAL = Set.of("completed", "failed", "cancelled");

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static String taskPath(String id) {
        return "/api/finetune/tasks/" + StudioClient.encode(id);
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = "Upload a dataset (validated, errors with line numbers), create a task and optionally wait for it.")
    static class Start implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "Base model id or path.")
        String model;

        @Option(names = "--data", required = true, description = "A local .jsonl/.json file (uploaded) or a dataset id/path already in the studio.")
        String data;

        @Option(names = "--epochs", description = "Epochs.")
        Integer epochs;

        @Option(names = "--batch-size", description = "Per-device batch size.")
        Integer batchSize;

        @Option(names = "--grad-accum", description = "Gradient accumulation steps.")
        Integer gradAccum;

        @Option(names = "--lr", description = "Learning rate.")
        Double lr;

        @Option(names = "--method", description = "lora, qlora or full.")
        String method;

        @Option(names = "--max-length", description = "Max tokens per sample.")
        Integer maxLength;

        @Option(names = "--lora-r", description = "LoRA rank.")
        Integer loraR;

        @Option(names = "--lora-alpha", description = "LoRA alpha.")
        Integer loraAlpha;

        @Option(names = "--no-merge", description = "Keep only the LoRA adapter (no merged model).")
        boolean noMerge;

        @Option(names = "--priority", description = "Queue priority (higher runs first).")
        Integer priority;

        @Option(names = "--suffix", description = "A suffix for the task id / model name.")
        String suffix;

        @Option(names = "--wait", description = "Show live progress until the task ends; the exit code tells the outcome.")
        boolean await;

        @Mixin
        ClientOptions options;

        @Override
        public Integer call() {
            StudioClient client = options.client();
            PrintStream out = options.json() ? System.err : System.out;
            String datasetFile = data;
            Path local = Path.of(data);
            if (Files.isRegularFile(local)) {
                out.println("Uploading " + local + " …");
                JsonNode ds;
                try {
                    ds = client.upload("/api/finetune/upload-dataset", local);
                } catch (StudioClientException e) {
                    if (e.status() == 400 || e.status() == 413) {
                        System.err.println("The dataset was rejected: " + e.getMessage());
                        e.details().forEach(d -> System.err.println("  " + d));
                        return 1;
                    }
                    throw e;
                }
                out.printf("  format %s, %d valid records, %d invalid%n", ds.path("format").asText(),
                        ds.path("valid_records").asLong(), ds.path("invalid_records").asLong());
                StudioClient.each(ds.path("errors"), err -> out.println("  line " + err.path("line").asText() + ": "
                        + err.path("code").asText() + " — " + err.path("message").asText()));
                datasetFile = ds.path("path").asText(ds.path("dataset_id").asText());
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("model_name", model);
            body.put("dataset_file", datasetFile);
            putIf(body, "num_epochs", epochs);
            putIf(body, "batch_size", batchSize);
            putIf(body, "gradient_accumulation_steps", gradAccum);
            putIf(body, "learning_rate", lr);
            putIf(body, "method", method);
            putIf(body, "max_length", maxLength);
            putIf(body, "lora_r", loraR);
            putIf(body, "lora_alpha", loraAlpha);
            putIf(body, "priority", priority);
            putIf(body, "suffix", suffix);
            if (noMerge) {
                body.put("merge", false);
            }
            JsonNode task = client.post("/api/finetune/create", body);
            String id = task.path("task_id").asText();
            out.println("Created task " + id + " (" + task.path("status").asText() + ")");
            StudioClient.each(task.path("warnings"), w -> out.println("  ⚠ " + w.path("message").asText(w.asText())));
            if (!await) {
                if (options.json()) {
                    Output.json(System.out, task);
                }
                return 0;
            }
            JsonNode end = new ProgressFollower(client, out).follow(id);
            if (options.json()) {
                Output.json(System.out, end);
            }
            return exitCode(end);
        }

        private static void putIf(Map<String, Object> body, String key, Object value) {
            if (value != null) {
                body.put(key, value);
            }
        }
    }

    static int exitCode(JsonNode task) {
        return switch (task.path("status").asText()) {
            case "completed" -> 0;
            case "cancelled" -> SageCli.EXIT_CANCELLED;
            default -> 1;
        };
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List tasks, newest first.")
    static class ListTasks implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Override
        public Integer call() {
            JsonNode tasks = options.client().get("/api/finetune/tasks");
            if (options.json()) {
                Output.json(System.out, tasks);
                return 0;
            }
            System.out.printf("%-36s %-3s %-10s %6s %-9s %-8s %-30s %s%n", "TASK", "", "STATUS", "PROG", "EPOCH", "LOSS", "MODEL", "CREATED");
            for (JsonNode t : tasks) {
                String status = Output.text(t, "status");
                String queue = t.path("queue_position").isNumber() ? " #" + t.path("queue_position").asInt() : "";
                System.out.printf("%-36s %-3s %-10s %5.0f%% %-9s %-8s %-30s %s%n", Output.truncate(Output.text(t, "task_id"), 36),
                        Output.statusIcon(status), status + queue, t.path("progress").asDouble(),
                        String.format(Locale.ROOT, "%.1f/%d", t.path("current_epoch").asDouble(), t.path("total_epochs").asInt()),
                        Output.number(t, "loss", "%.4f"), Output.truncate(Output.text(t, "model_name"), 30), Output.text(t, "created_at"));
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one task.")
    static class Show implements Callable<Integer> {
        @Parameters(paramLabel = "ID")
        String id;

        @Mixin
        ClientOptions options;

        @Override
        public Integer call() {
            JsonNode t = options.client().get(taskPath(id));
            if (options.json()) {
                Output.json(System.out, t);
                return 0;
            }
            String[] fields = {"task_id", "status", "phase", "model_name", "method", "dataset_path", "output_dir", "progress",
                "current_epoch", "total_epochs", "step", "total_steps", "loss", "learning_rate", "eta_seconds",
                "queue_position", "created_at", "started_at", "completed_at", "error_message"};
            for (String f : fields) {
                if (t.hasNonNull(f)) {
                    System.out.printf("%-16s %s%n", f, t.path(f).asText());
                }
            }
            if (t.path("artifacts").size() > 0) {
                t.path("artifacts").fields().forEachRemaining(e -> System.out.printf("%-16s %s%n", "artifact." + e.getKey(), e.getValue().asText()));
            }
            if (t.path("config").size() > 0) {
                System.out.printf("%-16s %s%n", "config", t.path("config"));
            }
            StudioClient.each(t.path("warnings"), w -> System.out.println("warning          " + w.path("message").asText(w.asText())));
            return 0;
        }
    }

    @Command(name = "logs", mixinStandardHelpOptions = true, description = "The trainer's log of a task.")
    static class Logs implements Callable<Integer> {
        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = {"-f", "--follow"}, description = "Keep printing new lines until the task ends.")
        boolean follow;

        @Option(names = {"-n", "--tail"}, defaultValue = "200", description = "Lines of history (default ${DEFAULT-VALUE}).")
        int tail;

        @Mixin
        ClientOptions options;

        @Override
        public Integer call() {
            StudioClient client = options.client();
            if (!follow) {
                System.out.print(client.text(taskPath(id) + "/logs?tail=" + tail));
                return 0;
            }
            client.stream(taskPath(id) + "/logs?follow=true&tail=" + tail, event -> {
                if (event.event().equals("log") || event.event().equals("message")) {
                    System.out.println(event.data());
                }
                return !event.event().equals("end");
            });
            return 0;
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a queued or running task.")
    static class Cancel implements Callable<Integer> {
        @Parameters(paramLabel = "ID")
        String id;

        @Mixin
        ClientOptions options;

        @Override
        public Integer call() {
            JsonNode t = options.client().post(taskPath(id) + "/cancel", Map.of());
            if (options.json()) {
                Output.json(System.out, t);
            } else {
                System.out.println("Task " + id + ": " + t.path("status").asText());
            }
            return 0;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Delete a finished task and its files.")
    static class Remove implements Callable<Integer> {
        @Parameters(paramLabel = "ID")
        String id;

        @Mixin
        ClientOptions options;

        @Override
        public Integer call() {
            options.client().delete(taskPath(id));
            System.out.println("Deleted task " + id);
            return 0;
        }
    }

    @Command(name = "download", mixinStandardHelpOptions = true,
            description = "Download the produced model (merged model, else LoRA adapter) as .tar.gz.")
    static class Download implements Callable<Integer> {
        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = {"-o", "--output"}, description = "Target file (default <ID>.tar.gz).")
        Path output;

        @Mixin
        ClientOptions options;

        @Override
        public Integer call() throws IOException {
            Path target = output != null ? output : Path.of(id + ".tar.gz");
            long bytes = options.client().download(taskPath(id) + "/download", target);
            System.out.printf("Wrote %s (%.1f MiB)%n", target, bytes / 1048576.0);
            return 0;
        }
    }

    /** Follows a task to its end: the SSE stream when it works, polling otherwise. */
    static final class ProgressFollower {
        private final StudioClient client;
        private final PrintStream out;
        private final boolean tty = System.console() != null;
        private String lastLine = "";
        private long lastPrint;

        ProgressFollower(StudioClient client, PrintStream out) {
            this.client = client;
            this.out = out;
        }

        JsonNode follow(String id) {
            JsonNode[] latest = {client.get(taskPath(id))};
            render(latest[0]);
            if (!TERMINAL.contains(latest[0].path("status").asText())) {
                try {
                    client.stream("/api/finetune/tasks/stream", event -> {
                        if (!event.event().equals("task")) {
                            return true;
                        }
                        try {
                            JsonNode task = StudioJson.mapper().readTree(event.data());
                            if (!id.equals(task.path("task_id").asText())) {
                                return true;
                            }
                            latest[0] = task;
                            render(task);
                            return !TERMINAL.contains(task.path("status").asText());
                        } catch (IOException e) {
                            return true;
                        }
                    });
                } catch (StudioClientException e) {
                    // The stream broke: fall back to polling below.
                }
                while (!TERMINAL.contains(latest[0].path("status").asText())) {
                    sleep(1000);
                    latest[0] = client.get(taskPath(id));
                    render(latest[0]);
                }
                latest[0] = client.get(taskPath(id));
            }
            if (tty) {
                out.println();
            }
            JsonNode end = latest[0];
            String status = end.path("status").asText();
            out.println(Output.statusIcon(status) + " " + id + " " + status
                    + (end.hasNonNull("error_message") ? ": " + end.path("error_message").asText() : ""));
            if ("completed".equals(status)) {
                end.path("artifacts").fields().forEachRemaining(e -> out.println("  " + e.getKey() + ": " + e.getValue().asText()));
            }
            return end;
        }

        private void render(JsonNode t) {
            String line = ProgressLines.of(t);
            long now = System.currentTimeMillis();
            if (tty) {
                out.print("\r" + line + " ".repeat(Math.max(0, lastLine.length() - line.length())));
                out.flush();
            } else if (!line.equals(lastLine) && (now - lastPrint >= 1000 || TERMINAL.contains(t.path("status").asText()))) {
                out.println(line);
                lastPrint = now;
            }
            lastLine = line;
        }

        private static void sleep(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
