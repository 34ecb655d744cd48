package io.sage.studio.cli.commands;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import io.sage.studio.cli.SageCli;
import io.sage.studio.cli.api.DatasetUpload;
import io.sage.studio.cli.api.EvaluationSummary;
import io.sage.studio.cli.api.TaskView;
import io.sage.studio.cli.client.StudioClient;
import io.sage.studio.cli.client.StudioClientException;
import io.sage.studio.events.StudioJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sage finetune …}: scriptable fine-tuning. */
@Command(
        name = "finetune",
        mixinStandardHelpOptions = true,
        description = "Create, watch and manage fine-tuning tasks.",
        subcommands = {
            FinetuneCommand.Start.class,
            FinetuneCommand.ListTasks.class,
            FinetuneCommand.Show.class,
            FinetuneCommand.Logs.class,
            FinetuneCommand.Cancel.class,
            FinetuneCommand.Remove.class,
            FinetuneCommand.Download.class,
            MergeCommand.class,
            CloneCommand.class,
            RetryCommand.class,
            PauseResumeCommands.Pause.class,
            PauseResumeCommands.Resume.class
        })
public class FinetuneCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static String taskPath(String id) {
        return "/api/finetune/tasks/" + StudioClient.encode(id);
    }

    @Command(
            name = "start",
            mixinStandardHelpOptions = true,
            description =
                    "Upload a dataset (validated, errors with line numbers), create a task and optionally wait for it.")
    static class Start implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "Base model id or path.")
        String model;

        @Option(
                names = "--data",
                required = true,
                description = "A local .jsonl/.json file (uploaded) or a dataset id/path already in the studio.")
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

        @Option(
                names = "--validation-split",
                description =
                        "Hold this share (0-0.5) of the data out as a validation set: eval loss, best checkpoint.")
        Double validationSplit;

        @Option(
                names = "--validation-file",
                description = "A validation dataset instead (local file, uploaded first; or a dataset id/path).")
        String validationFile;

        @Option(names = "--eval-steps", description = "Evaluate every N steps (default: about ten evaluations).")
        Integer evalSteps;

        @Option(
                names = "--early-stopping-patience",
                description = "Stop after N evaluations without a better eval loss.")
        Integer earlyStoppingPatience;

        @Option(names = "--seed", description = "Seed of the training run and of the validation split.")
        Integer seed;

        @Option(names = "--gpus", description = "GPUs per node (default 1); the trainer runs one process per GPU.")
        Integer gpus;

        @Option(names = "--nodes", description = "Nodes to train on (default 1; more only on Kubernetes).")
        Integer nodes;

        @Option(
                names = "--parallelism",
                description = "auto (default: the cheapest layout that fits), ddp (model on every GPU) or fsdp"
                        + " (sharded over all GPUs).")
        String parallelism;

        @Option(
                names = "--save-steps",
                description = "Checkpoint every N steps (default: about every 10 %% of the run).")
        Integer saveSteps;

        @Option(
                names = "--wait",
                description = "Show live progress until the task ends; the exit code tells the outcome.")
        boolean await;

        @Mixin
        ClientOptions options;

        @Override
        public Integer call() {
            StudioClient client = options.client();
            PrintStream out = options.json() ? System.err : System.out;
            String datasetFile = datasetRef(client, out, data);
            if (datasetFile == null) {
                return 1;
            }
            String validationRef = null;
            if (validationFile != null) {
                validationRef = datasetRef(client, out, validationFile);
                if (validationRef == null) {
                    return 1;
                }
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
            putIf(body, "validation_split", validationSplit);
            putIf(body, "validation_file", validationRef);
            putIf(body, "eval_steps", evalSteps);
            putIf(body, "early_stopping_patience", earlyStoppingPatience);
            putIf(body, "seed", seed);
            putIf(body, "gpus", gpus);
            putIf(body, "nodes", nodes);
            putIf(body, "parallelism", parallelism);
            putIf(body, "save_steps", saveSteps);
            if (noMerge) {
                body.put("merge", false);
            }
            JsonNode created = client.post("/api/finetune/create", body);
            TaskView task = StudioClient.as(created, TaskView.class);
            String id = Output.orEmpty(task.taskId());
            out.println("Created task " + id + " (" + Output.orEmpty(task.status()) + ")");
            layout(task.config()).ifPresent(line -> out.println("  " + line));
            task.warningsToShow().forEach(w -> out.println("  ⚠ " + w.text()));
            if (!await) {
                if (options.json()) {
                    Output.json(System.out, created);
                }
                return 0;
            }
            ProgressFollower follower = new ProgressFollower(client, out);
            TaskView end = follower.follow(id);
            if (options.json()) {
                Output.json(System.out, follower.latestJson());
            }
            return exitCode(end);
        }

        /**
         * The layout the studio chose for a task on several GPUs ({@code parallelism: auto} resolved), e.g.
         * "4 GPUs × 2 nodes, fsdp"; empty for a task on one GPU or an answer without it.
         */
        static Optional<String> layout(JsonNode config) {
            if (config == null
                    || !config.path("gpus").isInt()
                    || !config.path("nodes").isInt()) {
                return Optional.empty();
            }
            int perNode = config.path("gpus").asInt();
            int count = config.path("nodes").asInt();
            if (perNode * count <= 1) {
                return Optional.empty();
            }
            return Optional.of(perNode + " GPU(s) × " + count + " node(s), "
                    + config.path("parallelism").asText("auto"));
        }

        /**
         * What the create request names for {@code given}: a local file is uploaded first (its format and line errors
         * printed) and named by its stored path; anything else is passed on as a dataset id or studio path.
         * {@code null} when the studio rejected the file (the errors are printed).
         */
        private static String datasetRef(StudioClient client, PrintStream out, String given) {
            Path local = Path.of(given);
            if (!Files.isRegularFile(local)) {
                return given;
            }
            out.println("Uploading " + local + " …");
            DatasetUpload ds;
            try {
                ds = client.upload("/api/finetune/upload-dataset", local, DatasetUpload.class);
            } catch (StudioClientException e) {
                if (e.status() == 400 || e.status() == 413) {
                    System.err.println("The dataset " + local + " was rejected: " + e.getMessage());
                    e.details().forEach(d -> System.err.println("  " + d));
                    return null;
                }
                throw e;
            }
            out.printf(
                    "  format %s, %d valid records, %d invalid%n",
                    Output.orEmpty(ds.format()), ds.validRecords(), ds.invalidRecords());
            ds.errors()
                    .forEach(err -> out.println("  line " + Output.orEmpty(err.line()) + ": "
                            + Output.orEmpty(err.code()) + " — " + Output.orEmpty(err.message())));
            return ds.path() != null ? ds.path() : Output.orEmpty(ds.datasetId());
        }

        private static void putIf(Map<String, Object> body, String key, Object value) {
            if (value != null) {
                body.put(key, value);
            }
        }
    }

    static int exitCode(TaskView task) {
        return switch (Output.orEmpty(task.status())) {
            case "completed" -> 0;
            case "cancelled" -> SageCli.EXIT_CANCELLED;
            case "paused" -> SageCli.EXIT_PAUSED;
            default -> 1;
        };
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "List tasks, newest first: one page (--limit), or every task (--all).")
    static class ListTasks implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = "--limit", description = "Tasks to show, 1-500 (default: ${DEFAULT-VALUE}).")
        int limit = 50;

        @Option(names = "--all", description = "Every task: follows the pages (500 a request).")
        boolean all;

        @Option(
                names = "--status",
                split = ",",
                description = "Only tasks in these states (comma-separated), e.g. failed,cancelled.")
        List<String> status;

        @Option(names = "--query", description = "Only tasks whose id, model or suffix contains this text.")
        String query;

        @Override
        public Integer call() {
            ArrayNode tasksJson = JsonNodeFactory.instance.arrayNode();
            String cursor = null;
            JsonNode page;
            do {
                page = options.client().get(listPath(all ? 500 : limit, cursor));
                // a studio from before pages answers the array of every task, whatever the parameters
                (page.isArray() ? page : page.path("tasks")).forEach(tasksJson::add);
                cursor = page.path("next_cursor").isTextual()
                        ? page.path("next_cursor").asText()
                        : null;
            } while (all && cursor != null);
            if (cursor != null) {
                System.err.printf(
                        "%d of %d tasks shown; --all for every task%n",
                        tasksJson.size(), page.path("total").asInt());
            }
            if (options.json()) {
                Output.json(System.out, tasksJson);
                return 0;
            }
            List<TaskView> tasks = StudioClient.as(tasksJson, new TypeReference<List<TaskView>>() {});
            Table table = Table.of(
                    Table.cut("TASK", 36),
                    Table.left("", 3),
                    Table.left("STATUS", 10),
                    Table.right("PROG", 6),
                    Table.left("EPOCH", 9),
                    Table.left("LOSS", 8),
                    Table.cut("MODEL", 30),
                    Table.rest("CREATED"));
            table.header(System.out);
            for (TaskView t : tasks) {
                String status = Output.text(t.status());
                String queue = t.queuePosition() != null ? " #" + t.queuePosition() : "";
                table.row(
                        System.out,
                        t.taskId(),
                        Output.statusIcon(status),
                        status + queue,
                        String.format(Locale.ROOT, "%5.0f%%", Output.or0(t.progress())),
                        String.format(Locale.ROOT, "%.1f/%d", Output.or0(t.epochsDone()), Output.or0(t.totalEpochs())),
                        Output.number(t.lossToShow(), "%.4f"),
                        t.modelName(),
                        t.createdAt());
            }
            return 0;
        }

        /** The list request: {@code limit}, the filters, and the cursor of the page before (none for the first). */
        private String listPath(int pageSize, String cursor) {
            StringBuilder path = new StringBuilder("/api/finetune/tasks?limit=").append(pageSize);
            if (status != null && !status.isEmpty()) {
                path.append("&status=").append(StudioClient.encode(String.join(",", status)));
            }
            if (query != null) {
                path.append("&q=").append(StudioClient.encode(query));
            }
            if (cursor != null) {
                path.append("&cursor=").append(StudioClient.encode(cursor));
            }
            return path.toString();
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
            JsonNode json = options.client().get(taskPath(id));
            if (options.json()) {
                Output.json(System.out, json);
                return 0;
            }
            TaskView t = StudioClient.as(json, TaskView.class);
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("task_id", t.taskId());
            fields.put("status", t.status());
            fields.put("phase", t.phase());
            fields.put("model_name", t.modelName());
            fields.put("method", t.method());
            fields.put("dataset_path", t.datasetPath());
            fields.put("output_dir", t.outputDir());
            fields.put("progress", t.progress());
            fields.put("current_epoch", t.currentEpoch());
            fields.put("epoch", t.epoch());
            fields.put("total_epochs", t.totalEpochs());
            fields.put("step", t.step());
            fields.put("total_steps", t.totalSteps());
            fields.put("loss", t.lossToShow());
            fields.put("learning_rate", t.learningRate());
            fields.put("eval_loss", t.evalLoss());
            fields.put("best_eval_loss", t.bestEvalLoss());
            fields.put("best_step", t.bestStep());
            // the latest evaluation against a baseline: what a switch with require_evaluation goes on
            fields.put("evaluation", evaluationLine(t.evaluation()));
            fields.put("eta_seconds", t.etaSeconds());
            fields.put("queue_position", t.queuePosition());
            fields.put("created_at", t.createdAt());
            fields.put("started_at", t.startedAt());
            fields.put("completed_at", t.completedAt());
            fields.put("error_message", t.errorMessage());
            // a retried task's attempt (1 is not shown) and a clone's source
            fields.put(
                    "attempt",
                    json.path("attempt").asInt(1) > 1 ? json.path("attempt").asInt() : null);
            fields.put(
                    "cloned_from",
                    json.path("cloned_from").isTextual()
                            ? json.path("cloned_from").asText()
                            : null);
            fields.forEach((name, value) -> {
                if (value != null) {
                    System.out.printf("%-16s %s%n", name, value);
                }
            });
            if (json.path("attempt").asInt(1) > 1) {
                for (JsonNode a : json.path("attempts")) {
                    String outcome = a.path("outcome").asText("running");
                    String error = a.path("error_message").isTextual()
                            ? " (" + a.path("error_code").asText("") + ": "
                                    + a.path("error_message").asText() + ")"
                            : "";
                    System.out.printf(
                            "%-16s %s%s%n", "attempt." + a.path("attempt").asInt(), outcome, error);
                }
            }
            t.artifacts().forEach((kind, path) -> System.out.printf("%-16s %s%n", "artifact." + kind, path));
            if (t.config() != null && t.config().size() > 0) {
                System.out.printf("%-16s %s%n", "config", t.config());
            }
            t.warningsToShow().forEach(w -> System.out.println("warning          " + w.text()));
            return 0;
        }
    }

    /** {@code better vs base (ev-…, completed 2026-…)}, {@code running vs base (ev-…)}, or null without one. */
    static String evaluationLine(EvaluationSummary evaluation) {
        if (evaluation == null) {
            return null;
        }
        String outcome = evaluation.verdict() != null ? evaluation.verdict() : Output.orEmpty(evaluation.state());
        return outcome + " vs " + Output.orEmpty(evaluation.baseline()) + " ("
                + Output.orEmpty(evaluation.evaluationId())
                + (evaluation.completedAt() != null ? ", completed " + evaluation.completedAt() : "") + ")";
    }

    @Command(name = "logs", mixinStandardHelpOptions = true, description = "The trainer's log of a task.")
    static class Logs implements Callable<Integer> {
        @Parameters(paramLabel = "ID")
        String id;

        @Option(
                names = {"-f", "--follow"},
                description = "Keep printing new lines until the task ends.")
        boolean follow;

        @Option(
                names = {"-n", "--tail"},
                defaultValue = "200",
                description = "Lines of history (default ${DEFAULT-VALUE}).")
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
            JsonNode json = options.client().post(taskPath(id) + "/cancel", Map.of());
            if (options.json()) {
                Output.json(System.out, json);
            } else {
                System.out.println("Task " + id + ": "
                        + Output.orEmpty(StudioClient.as(json, TaskView.class).status()));
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

    @Command(
            name = "download",
            mixinStandardHelpOptions = true,
            description = "Download the produced model (merged model, else LoRA adapter) as .tar.gz.")
    static class Download implements Callable<Integer> {
        @Parameters(paramLabel = "ID")
        String id;

        @Option(
                names = {"-o", "--output"},
                description = "Target file (default <ID>.tar.gz).")
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
        private JsonNode latestJson;
        private TaskView latest;

        ProgressFollower(StudioClient client, PrintStream out) {
            this.client = client;
            this.out = out;
        }

        /** The last answer or event as it came, for {@code --json}. */
        JsonNode latestJson() {
            return latestJson;
        }

        private void update(JsonNode json) {
            latestJson = json;
            latest = StudioClient.as(json, TaskView.class);
            render(latest);
        }

        TaskView follow(String id) {
            update(client.get(taskPath(id)));
            if (!latest.idle()) {
                try {
                    client.stream("/api/finetune/tasks/stream", event -> {
                        if (!event.event().equals("task")) {
                            return true;
                        }
                        JsonNode json;
                        TaskView task;
                        try {
                            json = StudioJson.mapper().readTree(event.data());
                            task = StudioClient.as(json, TaskView.class);
                        } catch (IOException | StudioClientException e) {
                            return true;
                        }
                        if (!id.equals(Output.orEmpty(task.taskId()))) {
                            return true;
                        }
                        update(json);
                        return !task.idle();
                    });
                } catch (StudioClientException e) {
                    // The stream broke: fall back to polling below.
                }
                while (!latest.idle()) {
                    sleep(1000);
                    update(client.get(taskPath(id)));
                }
                latestJson = client.get(taskPath(id));
                latest = StudioClient.as(latestJson, TaskView.class);
            }
            if (tty) {
                out.println();
            }
            TaskView end = latest;
            String status = Output.orEmpty(end.status());
            out.println(Output.statusIcon(status) + " " + id + " " + status
                    + (end.errorMessage() != null ? ": " + end.errorMessage() : ""));
            if ("completed".equals(status)) {
                end.artifacts().forEach((kind, path) -> out.println("  " + kind + ": " + path));
            }
            return end;
        }

        private void render(TaskView t) {
            String line = ProgressLines.of(t);
            long now = System.currentTimeMillis();
            if (tty) {
                out.print("\r" + line + " ".repeat(Math.max(0, lastLine.length() - line.length())));
                out.flush();
            } else if (!line.equals(lastLine) && (now - lastPrint >= 1000 || t.terminal())) {
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
