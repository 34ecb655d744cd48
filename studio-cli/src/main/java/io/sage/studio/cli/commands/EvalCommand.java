package io.sage.studio.cli.commands;

import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.cli.api.EvaluationView;
import io.sage.studio.cli.api.EvaluationView.Metrics;
import io.sage.studio.cli.client.StudioClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sage eval TASK [--baseline base] [--max-samples N] [--max-tokens N] [--wait] [--json]}: evaluates a completed
 * fine-tune against a baseline ({@code POST /api/finetune/tasks/{id}/evaluations}), so whoever switches to it knows
 * whether it beats what it replaces. With {@code --wait} it prints a line per change of the progress, then both arms'
 * metrics and the verdict with its rule; the exit code says whether the evaluation ran (0 completed, whatever the
 * verdict; 1 failed), not whether the fine-tune won: a script that gates on the verdict reads {@code --json}.
 */
@Command(
        name = "eval",
        mixinStandardHelpOptions = true,
        description = "Evaluate a completed fine-tune against its base model (or another served model): "
                + "scores against references, samples side by side, a verdict.")
public class EvalCommand implements Callable<Integer> {

    /** Between two reads of the evaluation while waiting. */
    static final Duration POLL = Duration.ofSeconds(1);

    @Parameters(paramLabel = "TASK", description = "The task whose model is evaluated.")
    String task;

    @Option(
            names = "--baseline",
            defaultValue = "base",
            description = "What the fine-tune is compared with: 'base' (its base model) or a served model's name "
                    + "(default: ${DEFAULT-VALUE}).")
    String baseline;

    @Option(
            names = "--max-samples",
            defaultValue = "50",
            description = "At most this many prompts (default: ${DEFAULT-VALUE}).")
    int maxSamples;

    @Option(
            names = "--max-tokens",
            defaultValue = "256",
            description = "At most this many tokens per answer (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(
            names = "--eval-file",
            description = "A validated dataset to evaluate on (default: the task's validation split, else a held-out "
                    + "5 % the trainer never saw).")
    String evalFile;

    @Option(names = "--judge-url", description = "An OpenAI-compatible endpoint that judges each pair of answers.")
    String judgeUrl;

    @Option(names = "--judge-model", description = "The judge's model (with --judge-url).")
    String judgeModel;

    @Option(
            names = "--judge-key-env",
            description = "The name of the service's environment variable holding the judge's API key (never the key).")
    String judgeKeyEnv;

    @Option(names = "--wait", description = "Show the progress until it ends, then the metrics and the verdict.")
    boolean await;

    @Mixin
    ClientOptions options;

    @Override
    public Integer call() {
        StudioClient client = options.client();
        PrintStream out = options.json() ? System.err : System.out;
        String path = FinetuneCommand.taskPath(task) + "/evaluations";
        JsonNode accepted = client.post(path, request());
        EvaluationView evaluation = StudioClient.as(accepted, EvaluationView.class);
        out.println("Evaluating " + task + " against " + evaluation.baseline() + " (evaluation "
                + evaluation.evaluationId() + ", " + evaluation.state() + ")");
        if (!await) {
            if (options.json()) {
                Output.json(System.out, accepted);
            }
            return 0;
        }
        JsonNode latest = accepted;
        String lastLine = "";
        while (true) {
            String line = progressLine(evaluation);
            if (!line.equals(lastLine)) {
                out.println(line);
                lastLine = line;
            }
            if (evaluation.ended()) {
                break;
            }
            sleep(POLL);
            latest = client.get(path + "/" + StudioClient.encode(evaluation.evaluationId()));
            evaluation = StudioClient.as(latest, EvaluationView.class);
        }
        if (options.json()) {
            Output.json(System.out, latest);
        }
        if (!"completed".equals(evaluation.state())) {
            EvaluationView.Failure error = evaluation.error();
            out.println(Output.statusIcon("failed") + " evaluation " + Output.orEmpty(evaluation.state())
                    + (error == null
                            ? ""
                            : ": " + Output.orEmpty(error.code()) + " " + Output.orEmpty(error.message())));
            return 1;
        }
        if (!options.json()) {
            printResult(out, evaluation);
        }
        return 0;
    }

    private Map<String, Object> request() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("baseline", baseline);
        body.put("max_samples", maxSamples);
        body.put("max_tokens", maxTokens);
        if (evalFile != null) {
            body.put("eval_file", evalFile);
        }
        if (judgeUrl != null || judgeModel != null) {
            Map<String, Object> judge = new LinkedHashMap<>();
            judge.put("base_url", judgeUrl);
            judge.put("model", judgeModel);
            if (judgeKeyEnv != null) {
                judge.put("api_key_env", judgeKeyEnv);
            }
            body.put("judge", judge);
        }
        return body;
    }

    /** {@code [######--------------]  12/40 running}. */
    static String progressLine(EvaluationView evaluation) {
        EvaluationView.Progress progress = evaluation.progress();
        int done = progress == null || progress.done() == null ? 0 : progress.done();
        int total = progress == null || progress.total() == null ? 0 : progress.total();
        int filled = total > 0 ? Math.min(20, done * 20 / total) : 0;
        return "[" + "#".repeat(filled) + "-".repeat(20 - filled) + "] "
                + (total > 0 ? String.format(Locale.ROOT, "%3d/%d ", done, total) : "")
                + Output.orEmpty(evaluation.state());
    }

    /** One metric: its name, how to print it, and which way is better (0: a description, not a score). */
    private record Row(String name, Function<Metrics, Double> value, String format, double scale, int better) {}

    private static final List<Row> ROWS = List.of(
            new Row("exact_match", Metrics::exactMatch, "%.1f %%", 100, 1),
            new Row("token_f1", Metrics::tokenF1, "%.1f %%", 100, 1),
            new Row("rouge_l", Metrics::rougeL, "%.1f %%", 100, 1),
            new Row("judge_win_rate", Metrics::judgeWinRate, "%.1f %%", 100, 1),
            new Row("loss", Metrics::loss, "%.4f", 1, -1),
            new Row("perplexity", Metrics::perplexity, "%.2f", 1, -1),
            new Row("avg_latency_ms", Metrics::avgLatencyMs, "%.0f ms", 1, -1),
            new Row("avg_answer_chars", Metrics::avgAnswerChars, "%.0f", 1, 0),
            new Row("samples", m -> m.samples() == null ? null : m.samples().doubleValue(), "%.0f", 1, 0));

    /** Both arms' metrics (the better value of each score starred), then the verdict and its rule. */
    static void printResult(PrintStream out, EvaluationView evaluation) {
        Metrics candidate =
                evaluation.metrics() == null ? null : evaluation.metrics().candidate();
        Metrics baseline =
                evaluation.metrics() == null ? null : evaluation.metrics().baseline();
        if (candidate != null && baseline != null) {
            out.printf(Locale.ROOT, "%-18s %14s %14s%n", "metric", "fine-tune", "baseline");
            for (Row row : ROWS) {
                Double c = row.value().apply(candidate);
                Double b = row.value().apply(baseline);
                if (c == null && b == null) {
                    continue;
                }
                int winner = row.better() == 0 || c == null || b == null || c.equals(b)
                        ? 0
                        : (c > b) == (row.better() > 0) ? 1 : -1;
                out.printf(
                        Locale.ROOT,
                        "%-18s %14s %14s%n",
                        row.name(),
                        cell(c, row, winner > 0),
                        cell(b, row, winner < 0));
            }
            out.println("(* the better value)");
        }
        if (evaluation.evalSet() != null) {
            out.println("eval set: " + Output.orEmpty(evaluation.evalSet().source()) + ", "
                    + Output.text(evaluation.evalSet().samples()) + " samples; baseline "
                    + Output.orEmpty(
                            evaluation.baselineModel() != null ? evaluation.baselineModel() : evaluation.baseline()));
        }
        out.println(verdictIcon(evaluation.verdict()) + " verdict: " + Output.text(evaluation.verdict())
                + (evaluation.verdictReason() != null ? " - " + evaluation.verdictReason() : ""));
    }

    private static String cell(Double value, Row row, boolean better) {
        String text = value == null ? "-" : String.format(Locale.ROOT, row.format(), value * row.scale());
        return better ? "*" + text : text;
    }

    static String verdictIcon(String verdict) {
        return switch (verdict == null ? "" : verdict) {
            case "better" -> "✅";
            case "worse" -> "❌";
            case "inconclusive" -> "⚖";
            default -> "·";
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
