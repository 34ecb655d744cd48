package io.sage.studio.cli.commands;

import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.cli.SageCli;
import io.sage.studio.cli.api.Rollout;
import io.sage.studio.cli.client.StudioClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code sage rollout start|status|promote|abort}: moves {@code sage-chat} traffic to a candidate model step by step
 * ({@code /api/chat/rollouts}). The server runs the rollout and its guards; the CLI starts it, shows it and, with
 * {@code --wait}, follows its history until it ends: exit 0 promoted, 1 rolled back, 3 aborted.
 */
@Command(
        name = "rollout",
        mixinStandardHelpOptions = true,
        description = "Move chat traffic to a model gradually, with automatic promote or rollback.",
        subcommands = {
            RolloutCommand.Start.class,
            RolloutCommand.Status.class,
            RolloutCommand.Promote.class,
            RolloutCommand.Abort.class
        })
public class RolloutCommand implements Runnable {

    /** Between two reads of a rollout while waiting. */
    static final Duration POLL = Duration.ofSeconds(1);

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static String path(String id) {
        return "/api/chat/rollouts/" + StudioClient.encode(id);
    }

    @Command(
            name = "start",
            mixinStandardHelpOptions = true,
            description = {
                "Start a rollout of MODEL (served first when it is not) against the current default: its share of "
                        + "\"sage-chat\" traffic goes through --steps, each held --every and until --min-requests; a "
                        + "breach of a guard rolls back at once, the last step (100) promotes it."
            })
    static class Start implements Callable<Integer> {
        @Parameters(paramLabel = "MODEL", description = "A served name, task id, model id or path.")
        String model;

        @Option(
                names = "--steps",
                split = ",",
                paramLabel = "PERCENT",
                defaultValue = "10,50,100",
                description = "The candidate's share per step, increasing, ending at 100 (default ${DEFAULT-VALUE}).")
        List<Integer> steps;

        @Option(
                names = "--every",
                paramLabel = "DURATION",
                defaultValue = "60s",
                converter = Seconds.class,
                description = "How long each step lasts at least: 90, 90s, 5m, 1h, 1m30s (default ${DEFAULT-VALUE}).")
        long stepSeconds;

        @Option(
                names = "--max-error-rate",
                defaultValue = "0.02",
                description = "Roll back when the candidate's error rate exceeds the baseline's plus this "
                        + "(default ${DEFAULT-VALUE}).")
        double maxErrorRate;

        @Option(
                names = "--max-ttft-ratio",
                defaultValue = "1.5",
                description = "Roll back when the candidate's TTFT p95 exceeds this × the baseline's "
                        + "(default ${DEFAULT-VALUE}).")
        double maxTtftRatio;

        @Option(
                names = "--min-requests",
                defaultValue = "20",
                description = "Requests the candidate needs in a step before it is judged or advanced "
                        + "(default ${DEFAULT-VALUE}).")
        int minRequests;

        @Option(
                names = "--wait",
                description = "Follow the rollout until it ends: exit 0 promoted, 1 rolled back, " + "3 aborted.")
        boolean await;

        @Mixin
        EvaluationGateOptions gate;

        @Mixin
        ClientOptions options;

        @Override
        public Integer call() {
            StudioClient client = options.client();
            PrintStream out = options.json() ? System.err : System.out;
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("model", model);
            body.put("steps", steps);
            body.put("step_seconds", stepSeconds);
            body.put("max_error_rate", maxErrorRate);
            body.put("max_ttft_ratio", maxTtftRatio);
            body.put("min_requests", minRequests);
            gate.addTo(body);
            JsonNode answer = client.post("/api/chat/rollouts", body);
            Rollout rollout = StudioClient.as(answer, Rollout.class);
            out.println("Rollout " + Output.orEmpty(rollout.rolloutId()) + " " + Output.orEmpty(rollout.state()) + ": "
                    + Output.text(rollout.model()) + " against " + Output.text(rollout.baseline()) + ", steps "
                    + steps(rollout) + " every " + Output.text(rollout.stepSeconds()) + "s");
            if (!await) {
                if (options.json()) {
                    Output.json(System.out, answer);
                }
                return 0;
            }
            return follow(client, answer, out, options.json());
        }
    }

    /** Prints each new history event until the rollout ends; the exit code says how it ended. */
    static int follow(StudioClient client, JsonNode first, PrintStream out, boolean json) {
        JsonNode latest = first;
        Rollout rollout = StudioClient.as(latest, Rollout.class);
        int printed = 0;
        while (true) {
            List<Rollout.Event> history = rollout.history();
            for (; printed < history.size(); printed++) {
                out.println(event(history.get(printed)));
            }
            if (rollout.ended()) {
                break;
            }
            ServeCommand.sleep(POLL);
            latest = client.get(path(Output.orEmpty(rollout.rolloutId())));
            rollout = StudioClient.as(latest, Rollout.class);
        }
        if (json) {
            Output.json(System.out, latest);
        }
        out.println(outcome(rollout));
        return switch (rollout.state()) {
            case "promoted" -> 0;
            case "aborted" -> SageCli.EXIT_CANCELLED;
            default -> 1;
        };
    }

    @Command(
            name = "status",
            mixinStandardHelpOptions = true,
            description = "A rollout's state, weight, arms and history; without ID the recent rollouts.")
    static class Status implements Callable<Integer> {
        @Parameters(arity = "0..1", paramLabel = "ID")
        String id;

        @Mixin
        ClientOptions options;

        @Override
        public Integer call() {
            StudioClient client = options.client();
            JsonNode json = client.get(id == null ? "/api/chat/rollouts?limit=20" : path(id));
            if (options.json()) {
                Output.json(System.out, json);
            } else if (id == null) {
                list(StudioClient.as(json, new TypeReference<List<Rollout>>() {}), System.out);
            } else {
                show(StudioClient.as(json, Rollout.class), System.out);
            }
            return 0;
        }
    }

    @Command(
            name = "promote",
            mixinStandardHelpOptions = true,
            description = "Give the candidate all traffic now: it becomes the default.")
    static class Promote implements Callable<Integer> {
        @Parameters(paramLabel = "ID")
        String id;

        @Mixin
        ClientOptions options;

        @Override
        public Integer call() {
            return end(options, id, "promote");
        }
    }

    @Command(
            name = "abort",
            mixinStandardHelpOptions = true,
            description = "Stop the rollout: all traffic goes back to the baseline.")
    static class Abort implements Callable<Integer> {
        @Parameters(paramLabel = "ID")
        String id;

        @Mixin
        ClientOptions options;

        @Override
        public Integer call() {
            return end(options, id, "abort");
        }
    }

    private static int end(ClientOptions options, String id, String action) {
        JsonNode answer = options.client().post(path(id) + "/" + action, Map.of());
        if (options.json()) {
            Output.json(System.out, answer);
        } else {
            System.out.println(outcome(StudioClient.as(answer, Rollout.class)));
        }
        return 0;
    }

    static void list(List<Rollout> rollouts, PrintStream out) {
        if (rollouts.isEmpty()) {
            out.println("No rollouts yet; start one with: sage rollout start MODEL");
            return;
        }
        Table table = Table.of(
                Table.cut("ID", 24),
                Table.cut("CANDIDATE", 30),
                Table.cut("BASELINE", 30),
                Table.left("STATE", 12),
                Table.right("WEIGHT", 6),
                Table.rest("CREATED"));
        table.header(out);
        for (Rollout r : rollouts) {
            table.row(
                    out,
                    r.rolloutId(),
                    r.model(),
                    r.baseline(),
                    r.state(),
                    ServeCommand.percent(r.weight()),
                    r.createdAt());
        }
    }

    static void show(Rollout r, PrintStream out) {
        out.println("Rollout " + Output.text(r.rolloutId()) + "  " + Output.text(r.state()));
        out.println("  candidate  " + Output.text(r.model()));
        out.println("  baseline   " + Output.text(r.baseline()));
        String step = r.step() == null || r.steps().isEmpty()
                ? ""
                : "  (step " + (r.step() + 1) + " of " + r.steps().size() + ": " + steps(r) + ", "
                        + Output.text(r.stepSeconds()) + "s each)";
        out.println("  weight     " + ServeCommand.percent(r.weight()) + step);
        Rollout.Guards g = r.guards();
        if (g != null) {
            out.println("  guards     error rate ≤ baseline + " + Output.text(g.maxErrorRate()) + ", TTFT p95 ≤ "
                    + Output.text(g.maxTtftRatio()) + " × baseline, judged after " + Output.text(g.minRequests())
                    + " requests");
        }
        if (r.reason() != null) {
            out.println("  reason     " + r.reason());
        }
        out.println("  created    " + Output.text(r.createdAt())
                + (r.finishedAt() != null ? "   finished " + r.finishedAt() : ""));
        if (r.arms() != null) {
            out.println();
            out.printf(
                    "  %-10s %-30s %8s %6s %7s %9s %9s%n",
                    "ARM", "MODEL", "REQUESTS", "ERRORS", "ERROR%", "TTFT p50", "TTFT p95");
            arm(out, "baseline", r.arms().baseline());
            arm(out, "candidate", r.arms().candidate());
        }
        if (!r.history().isEmpty()) {
            out.println();
            out.println("  HISTORY");
            r.history().forEach(e -> out.println(event(e)));
        }
    }

    private static void arm(PrintStream out, String name, Rollout.Arm a) {
        out.printf(
                "  %-10s %-30s %8s %6s %7s %9s %9s%n",
                name,
                Output.truncate(Output.text(a == null ? null : a.model()), 30),
                Output.text(a == null ? null : a.requests()),
                Output.text(a == null ? null : a.errors()),
                a == null || a.errorRate() == null ? "-" : String.format(Locale.ROOT, "%.1f%%", a.errorRate() * 100),
                ServeCommand.millis(a == null ? null : a.ttftP50Ms()),
                ServeCommand.millis(a == null ? null : a.ttftP95Ms()));
    }

    /** {@code   12:00:05  advanced     50%  candidate 24 req 0 err p95 210 ms · baseline …  message}. */
    static String event(Rollout.Event e) {
        StringBuilder line = new StringBuilder("  ")
                .append(clock(e.at()))
                .append("  ")
                .append(String.format(
                        Locale.ROOT, "%-11s %5s", Output.text(e.event()), ServeCommand.percent(e.weight())));
        if (e.candidate() != null || e.baseline() != null) {
            line.append("  candidate ")
                    .append(figures(e.candidate()))
                    .append(" · baseline ")
                    .append(figures(e.baseline()));
        }
        if (e.message() != null && !e.message().isBlank()) {
            line.append("  ").append(e.message());
        }
        return line.toString();
    }

    private static String figures(Rollout.Arm a) {
        if (a == null) {
            return "-";
        }
        return Output.text(a.requests()) + " req " + Output.text(a.errors()) + " err p95 "
                + ServeCommand.millis(a.ttftP95Ms());
    }

    /** The time of day of an ISO-8601 instant ({@code 12:00:05}), the text as it came otherwise. */
    static String clock(String at) {
        if (at == null) {
            return "-";
        }
        int t = at.indexOf('T');
        return t >= 0 && at.length() >= t + 9 ? at.substring(t + 1, t + 9) : at;
    }

    /** {@code 10% → 50% → 100%}. */
    static String steps(Rollout r) {
        return r.steps().isEmpty() ? "-" : r.steps().stream().map(s -> s + "%").collect(Collectors.joining(" → "));
    }

    static String outcome(Rollout r) {
        String id = Output.text(r.rolloutId());
        return switch (Output.orEmpty(r.state())) {
            case "promoted" -> "✅ Rollout " + id + " promoted: " + Output.text(r.model()) + " is the default now";
            case "rolled_back" ->
                "❌ Rollout " + id + " rolled back: all traffic on " + Output.text(r.baseline())
                        + (r.reason() != null ? " (" + r.reason() + ")" : "");
            case "aborted" ->
                "⊘ Rollout " + id + " aborted: all traffic on " + Output.text(r.baseline())
                        + (r.reason() != null ? " (" + r.reason() + ")" : "");
            default -> "Rollout " + id + " " + Output.text(r.state()) + " at " + ServeCommand.percent(r.weight());
        };
    }

    /** {@code --every}: whole seconds from {@code 90}, {@code 90s}, {@code 5m}, {@code 1h}, {@code 1m30s}. */
    static final class Seconds implements ITypeConverter<Long> {
        private static final Pattern FORM = Pattern.compile("(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s?)?");

        @Override
        public Long convert(String value) {
            Matcher m = FORM.matcher(value.trim().toLowerCase(Locale.ROOT));
            if (value.isBlank() || !m.matches()) {
                throw new TypeConversionException("'" + value + "' is not a duration such as 90, 90s, 5m or 1m30s");
            }
            long seconds = part(m.group(1)) * 3600 + part(m.group(2)) * 60 + part(m.group(3));
            if (seconds < 1) {
                throw new TypeConversionException("a step lasts at least 1s");
            }
            return seconds;
        }

        private static long part(String digits) {
            return digits == null ? 0 : Long.parseLong(digits);
        }
    }
}
