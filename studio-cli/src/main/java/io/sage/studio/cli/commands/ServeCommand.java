package io.sage.studio.cli.commands;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.cli.api.ServeResult;
import io.sage.studio.cli.api.ServedModel;
import io.sage.studio.cli.api.ServingView;
import io.sage.studio.cli.api.SwitchOperation;
import io.sage.studio.cli.client.StudioClient;
import io.sage.studio.cli.client.StudioClientException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sage serve [MODEL] [--wait] [--json]}: makes a model addressable by name beside the others
 * ({@code POST /api/chat/serving}) without touching what {@code sage-chat} reaches; without MODEL it prints the serving
 * set ({@code GET /api/chat/serving}). A model being loaded is followed with {@code --wait} by reading the serving set
 * until the model is {@code ready} (exit 0) or {@code failed} (exit 1).
 */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = {
            "Serve a model by name beside the others (the default chat model stays); without MODEL: list the engines "
                    + "and served models with their traffic.",
            "Clients reach a served model by sending its name as \"model\" to /v1/chat/completions."
        })
public class ServeCommand implements Callable<Integer> {

    /** Between two reads of the serving set while waiting. */
    static final Duration POLL = Duration.ofMillis(500);

    /** How long a model may be missing from the serving set while waiting before the wait gives up. */
    static final int MISSING_POLLS = 20;

    @Parameters(
            arity = "0..1",
            paramLabel = "MODEL",
            description = "A task id, a model id, a registry name or a model path in the studio home.")
    String target;

    @Option(names = "--wait", description = "Wait until the model is ready; exit 1 when it fails to load.")
    boolean await;

    @Mixin
    ClientOptions options;

    @Override
    public Integer call() {
        StudioClient client = options.client();
        if (target == null) {
            JsonNode json = client.get("/api/chat/serving");
            if (options.json()) {
                Output.json(System.out, json);
            } else {
                print(StudioClient.as(json, ServingView.class), System.out);
            }
            return 0;
        }
        PrintStream out = options.json() ? System.err : System.out;
        JsonNode answer = client.post("/api/chat/serving", Map.of("model", target));
        ServeResult result = StudioClient.as(answer, ServeResult.class);
        String name = result.model() != null ? result.model() : target;
        if ("ready".equals(result.state())) {
            out.println(name + described(result.displayName(), name) + " is served on engine "
                    + Output.text(result.engine()) + "; send \"model\": \"" + name + "\"");
        } else {
            out.println("Loading " + name + described(result.displayName(), name) + " on engine "
                    + Output.text(result.engine())
                    + (result.operationId() != null ? " (operation " + result.operationId() + ")" : "")
                    + (await ? " …" : "; follow it with --wait or sage serve"));
        }
        if (!await || !"loading".equals(result.state())) {
            if (options.json()) {
                Output.json(System.out, answer);
            }
            return "failed".equals(result.state()) ? 1 : 0;
        }
        return follow(client, name, result.operationId(), out);
    }

    /** Reads the serving set until {@code name} is ready or failed; prints the outcome (and JSON with --json). */
    private int follow(StudioClient client, String name, String operationId, PrintStream out) {
        int missing = 0;
        while (true) {
            sleep(POLL);
            JsonNode json = client.get("/api/chat/serving");
            ServedModel model = StudioClient.as(json, ServingView.class).find(name);
            if (model == null) {
                String failure = failedOperation(client, operationId);
                if (failure != null || ++missing > MISSING_POLLS) {
                    out.println("❌ " + name + " failed to load: "
                            + (failure != null ? failure : "it is not in the serving set any more"));
                    return 1;
                }
                continue;
            }
            missing = 0;
            if ("loading".equals(model.state())) {
                continue;
            }
            if (options.json()) {
                Output.json(System.out, json);
            }
            if ("ready".equals(model.state())) {
                out.println("✅ " + name + " ready on engine " + Output.text(model.engine()) + "; send \"model\": \""
                        + name + "\"");
                return 0;
            }
            String failure = failedOperation(client, operationId);
            out.println("❌ " + name + " " + Output.text(model.state()) + (failure != null ? ": " + failure : ""));
            return 1;
        }
    }

    /** The error of the loading operation when it failed, else {@code null} (also when it cannot be read). */
    private static String failedOperation(StudioClient client, String operationId) {
        if (operationId == null) {
            return null;
        }
        try {
            SwitchOperation op =
                    client.get("/api/chat/switch/" + StudioClient.encode(operationId), SwitchOperation.class);
            return "failed".equals(op.state()) ? (op.error() != null ? op.error() : "failed") : null;
        } catch (StudioClientException e) {
            if (e.unreachable()) {
                throw e;
            }
            return null;
        }
    }

    /** The serving set as two tables: engines, then models with their traffic; {@code *} marks the default. */
    static void print(ServingView serving, PrintStream out) {
        if (serving.engines().isEmpty()) {
            out.println("No engine runs.");
        } else {
            out.printf("%-20s %-34s %-9s %-6s %s%n", "ENGINE", "BASE MODEL", "STATE", "LORAS", "URL");
            for (ServingView.Engine e : serving.engines()) {
                String slots = e.adapters().size() + "/" + Output.text(e.capacity());
                out.printf(
                        "%-20s %-34s %-9s %-6s %s%n",
                        Output.truncate(Output.text(e.id()), 20),
                        Output.truncate(Output.text(e.baseModel()), 34),
                        Output.text(e.state()),
                        slots,
                        Output.text(e.url()));
            }
        }
        out.println();
        if (serving.models().isEmpty()) {
            out.println("Nothing served; serve a model with: sage serve TASK_ID|MODEL");
            return;
        }
        out.printf(
                "  %-34s %-7s %-8s %-20s %8s %6s %9s %9s  %s%n",
                "MODEL", "KIND", "STATE", "ENGINE", "REQUESTS", "ERRORS", "TTFT p50", "TTFT p95", "ROLLOUT");
        for (ServedModel m : serving.models()) {
            ServedModel.Traffic t = m.traffic();
            out.println(String.format(
                            Locale.ROOT,
                            "%s %-34s %-7s %-8s %-20s %8s %6s %9s %9s  %s",
                            m.servesDefault() ? "*" : " ",
                            Output.truncate(Output.text(m.model()), 34),
                            Output.text(m.kind()),
                            Output.text(m.state()),
                            Output.truncate(Output.text(m.engine()), 20),
                            Output.text(t == null ? null : t.requests()),
                            Output.text(t == null ? null : t.errors()),
                            millis(t == null ? null : t.ttftP50Ms()),
                            millis(t == null ? null : t.ttftP95Ms()),
                            m.rollout() == null
                                    ? ""
                                    : Output.orEmpty(m.rollout().arm()) + " "
                                            + percent(m.rollout().weight()) + " ("
                                            + Output.orEmpty(m.rollout().rolloutId()) + ")")
                    .stripTrailing());
        }
        out.println();
        out.println("* the default: what \"sage-chat\" reaches ("
                + (serving.defaultModel() != null ? serving.defaultModel() : "none") + ")");
    }

    private static String described(String displayName, String name) {
        return displayName != null && !displayName.equals(name) ? " (" + displayName + ")" : "";
    }

    /** {@code 125 ms}, {@code -} when unknown. */
    static String millis(Double ms) {
        return ms == null ? "-" : String.format(Locale.ROOT, "%.0f ms", ms);
    }

    /** {@code 50%}, {@code 12.5%}, {@code -} when unknown. */
    static String percent(Double value) {
        if (value == null) {
            return "-";
        }
        return value == Math.rint(value)
                ? String.format(Locale.ROOT, "%.0f%%", value)
                : String.format(Locale.ROOT, "%.1f%%", value);
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StudioClientException(0, "interrupted", "interrupted", List.of(), false);
        }
    }
}
