package io.sage.studio.cli.commands;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.sage.studio.cli.CliEnvironment;
import io.sage.studio.cli.api.ModelView;
import io.sage.studio.cli.api.TaskView;
import io.sage.studio.cli.client.StudioClient;
import io.sage.studio.cli.client.StudioClientException;
import io.sage.studio.cli.launcher.LauncherException;
import io.sage.studio.cli.launcher.LauncherSettings;
import io.sage.studio.cli.launcher.StudioLauncher;
import io.sage.studio.events.StudioJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sage studio …}: the local studio's lifecycle. */
@Command(
        name = "studio",
        mixinStandardHelpOptions = true,
        description = "Start, stop and inspect the local studio.",
        subcommands = {
            StudioCommand.Start.class,
            StudioCommand.Stop.class,
            StudioCommand.Restart.class,
            StudioCommand.StatusCmd.class,
            StudioCommand.Logs.class
        })
public class StudioCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static LauncherSettings settings(CommandSpec spec) {
        CliEnvironment env = CliEnvironment.of(spec);
        return LauncherSettings.from(env.variables(), env.repo());
    }

    static StudioLauncher launcher(CommandSpec spec) {
        return new StudioLauncher(settings(spec), System.out);
    }

    /** Options of {@code start} and {@code restart}. */
    public static class StartFlags {
        @Spec(Spec.Target.MIXEE)
        CommandSpec mixee;

        @Option(
                names = "--prod",
                description = "Production profile: JSON logs; refuses to bind beyond loopback without auth.")
        boolean prod;

        @Option(
                names = "--llm",
                negatable = true,
                defaultValue = "true",
                fallbackValue = "true",
                description = {
                    "--llm (the default, as in the original studio): start the local model server; its OpenAI API "
                            + "answers at http://localhost:8001/v1 (the port: SAGE_STUDIO_LLM_PORT) and on the "
                            + "gateway's /v1.",
                    "--no-llm: no local model server: chat goes to the configured cloud API (SAGE_FORCE_CLOUD_API)."
                })
        boolean llm = true;

        @Option(names = "--use-finetuned", description = "Serve the latest completed fine-tuned model.")
        boolean useFinetuned;

        @Option(
                names = "--llm-model",
                paramLabel = "PATH",
                description = "Serve this model (base id, task artifact or path).")
        String llmModel;

        StudioLauncher.StartOptions options() {
            Map<String, String> env = new HashMap<>();
            if (!llm) {
                env.put("STUDIO_CHAT_RUNTIME", "none");
                env.put("SAGE_FORCE_CLOUD_API", "true");
            }
            if (prod) {
                env.put("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "true");
                env.put("STUDIO_PROD", "true");
            }
            return new StudioLauncher.StartOptions(env, prod);
        }

        void validate() {
            int chosen = (llm ? 0 : 1) + (useFinetuned ? 1 : 0) + (llmModel != null ? 1 : 0);
            if (chosen > 1) {
                throw new LauncherException("choose one of --no-llm, --use-finetuned and --llm-model");
            }
            if (prod) {
                checkProductionBinding(CliEnvironment.of(mixee).variables());
            }
        }

        /** In production the services only listen beyond loopback with authentication on. */
        public static void checkProductionBinding(Map<String, String> env) {
            String host = env.getOrDefault("QUARKUS_HTTP_HOST", "127.0.0.1").trim();
            String auth = env.getOrDefault("STUDIO_AUTH_MODE", "none").trim();
            boolean loopback = host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
            if (!loopback && auth.equalsIgnoreCase("none")) {
                throw new LauncherException("--prod refuses to listen on " + host + " without authentication: set "
                        + "STUDIO_AUTH_MODE=token (with STUDIO_AUTH_TOKENS_FILE) or oidc, or bind to 127.0.0.1");
            }
        }

        /** After start: point the chat backend where the flags say. */
        int applyModelChoice(PrintStream out) {
            if (llmModel == null && !useFinetuned) {
                return 0;
            }
            LauncherSettings settings = settings(mixee);
            StudioClient client = new StudioClient(
                    "http://127.0.0.1:" + settings.gateway().port(),
                    settings.environment().get("SAGE_STUDIO_TOKEN"));
            String model = llmModel;
            if (useFinetuned) {
                model = latestFinetuned(client);
                out.println("Latest fine-tuned model: " + model);
            }
            return SwitchCommand.switchAndWait(client, model, null, null, null, out, false);
        }

        private static String latestFinetuned(StudioClient client) {
            List<ModelView> models =
                    StudioClient.as(client.get("/api/finetune/models"), new TypeReference<List<ModelView>>() {});
            ModelView latest = null;
            for (ModelView m : models) {
                if ("finetuned".equals(m.type())
                        && (latest == null
                                || Output.orEmpty(m.createdAt()).compareTo(Output.orEmpty(latest.createdAt())) > 0)) {
                    latest = m;
                }
            }
            if (latest == null) {
                throw new LauncherException(
                        "--use-finetuned: no completed fine-tuned model yet; see ./sage studio start --list-finetuned");
            }
            return latest.path() != null ? latest.path() : Output.orEmpty(latest.id());
        }
    }

    @Command(
            name = "start",
            mixinStandardHelpOptions = true,
            description = "Build what is missing, start Kafka and the four services, wait until all are ready.")
    static class Start implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @picocli.CommandLine.Mixin
        StartFlags flags;

        @Option(names = "--list-finetuned", description = "List the fine-tuned models of this studio home and exit.")
        boolean listFinetuned;

        @Option(names = "--json", description = "With --list-finetuned: print JSON.")
        boolean json;

        @Override
        public Integer call() {
            if (listFinetuned) {
                return listFinetuned(settings(spec).home(), json, System.out);
            }
            flags.validate();
            launcher(spec).start(flags.options());
            return flags.applyModelChoice(System.out);
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop everything `studio start` started.")
    static class Stop implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            launcher(spec).stop();
            return 0;
        }
    }

    @Command(name = "restart", mixinStandardHelpOptions = true, description = "Stop, then start the studio.")
    static class Restart implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @picocli.CommandLine.Mixin
        StartFlags flags;

        @Override
        public Integer call() {
            flags.validate();
            StudioLauncher launcher = launcher(spec);
            launcher.stop();
            launcher.start(flags.options());
            return flags.applyModelChoice(System.out);
        }
    }

    @Command(
            name = "status",
            mixinStandardHelpOptions = true,
            description = "Each component's state, pid and URL; exits 1 if any is down.")
    static class StatusCmd implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() {
            StudioLauncher launcher = launcher(spec);
            List<StudioLauncher.Status> statuses = launcher.status();
            if (json) {
                ArrayNode array = StudioJson.mapper().createArrayNode();
                for (StudioLauncher.Status s : statuses) {
                    ObjectNode o = array.addObject();
                    o.put("component", s.component().name());
                    o.put("state", s.state().label());
                    if (s.pid() != null) {
                        o.put("pid", s.pid());
                    } else {
                        o.putNull("pid");
                    }
                    o.put("url", s.url());
                    if (s.component().equals(settings(spec).gateway())) {
                        settings(spec).openAiUrl().ifPresent(url -> o.put("openai_url", url));
                    }
                }
                Output.json(System.out, array);
            } else {
                launcher.printStatus(statuses);
                System.out.println();
                launcher.printOpenAiUrl();
            }
            boolean up = statuses.stream()
                    .allMatch(s ->
                            s.state() == StudioLauncher.State.RUNNING || s.state() == StudioLauncher.State.EXTERNAL);
            return up ? 0 : 1;
        }
    }

    @Command(
            name = "logs",
            mixinStandardHelpOptions = true,
            description = {
                "Show (and follow) component logs: <studio home>/studio/logs/<component>.log (STUDIO_HOME, default "
                        + "~/.sage); model servers log to <studio home>/studio/chat/<backend>.log.",
                "The original studio's logs are these: ~/.sage/studio/chat/gateway.log is gateway-adapter.log, "
                        + "~/.sage/studio/finetune_api.log is finetune-service.log; their names work as COMPONENT "
                        + "(sage studio logs finetune_api.log)."
            })
    static class Logs implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(
                arity = "0..1",
                paramLabel = "COMPONENT",
                description =
                        "kafka, gateway-adapter, finetune-service, chat-switch-service or gpu-probe-service (short names work: finetune, chat, gpu, gateway; so do log file names: gateway.log, finetune_api.log, finetune-service.log). Default: all.")
        String component;

        @Option(
                names = {"-f", "--follow"},
                description = "Keep printing new lines.")
        boolean follow;

        @Option(
                names = {"-n", "--lines"},
                defaultValue = "50",
                description = "Lines of history per log (default ${DEFAULT-VALUE}).")
        int lines;

        @Override
        public Integer call() throws IOException {
            StudioLauncher launcher = launcher(spec);
            List<Path> files = component == null ? launcher.logFiles() : List.of(launcher.logFile(component));
            if (files.isEmpty() || files.stream().noneMatch(Files::exists)) {
                System.out.println("No logs yet under " + settings(spec).logsDir());
                return 0;
            }
            new FileTailer(files, files.size() > 1, System.out).run(lines, follow);
            return 0;
        }
    }

    /** A completed task's {@code finetune_meta.json} as it is ({@code --json}) and as the table reads it. */
    private record Finetuned(JsonNode json, TaskView view) {}

    /** {@code --list-finetuned}: read the task folders directly, so it works with the studio stopped. */
    static int listFinetuned(Path home, boolean json, PrintStream out) {
        Path root = home.resolve("studio_finetune");
        List<Finetuned> tasks = new ArrayList<>();
        if (Files.isDirectory(root)) {
            try (Stream<Path> dirs = Files.list(root)) {
                dirs.map(d -> d.resolve("finetune_meta.json"))
                        .filter(Files::isRegularFile)
                        .forEach(meta -> {
                            try {
                                JsonNode stored =
                                        StudioJson.mapper().readTree(Files.readString(meta, StandardCharsets.UTF_8));
                                TaskView task = StudioClient.as(stored, TaskView.class);
                                if ("completed".equals(task.status())
                                        && !task.artifacts().isEmpty()) {
                                    tasks.add(new Finetuned(stored, task));
                                }
                            } catch (IOException | StudioClientException e) {
                                out.println("skipping unreadable " + meta + ": " + e.getMessage());
                            }
                        });
            } catch (IOException e) {
                throw new LauncherException("cannot list " + root + ": " + e.getMessage());
            }
        }
        tasks.sort(Comparator.comparing((Finetuned t) -> Output.orEmpty(t.view().completedAt()))
                .reversed());
        if (json) {
            ArrayNode array = StudioJson.mapper().createArrayNode();
            tasks.forEach(t -> array.add(t.json()));
            Output.json(out, array);
            return 0;
        }
        if (tasks.isEmpty()) {
            out.println("No completed fine-tuned models under " + root);
            return 0;
        }
        out.printf("%-34s %-34s %-8s %s%n", "TASK", "BASE MODEL", "ARTIFACT", "PATH");
        for (Finetuned entry : tasks) {
            TaskView t = entry.view();
            Map<String, String> artifacts = t.artifacts();
            boolean merged = artifacts.get("merged_model") != null;
            out.printf(
                    "%-34s %-34s %-8s %s%n",
                    Output.orEmpty(t.taskId()),
                    Output.truncate(Output.orEmpty(t.modelName()), 34),
                    merged ? "merged" : "lora",
                    Output.orEmpty(merged ? artifacts.get("merged_model") : artifacts.get("lora")));
        }
        return 0;
    }
}
