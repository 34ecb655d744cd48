package io.sage.studio.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;

import io.sage.studio.events.StudioJson;

/**
 * {@code sage eval} and the evaluation lines of {@code sage finetune show}: the request, the progress lines with
 * {@code --wait}, the metrics table and verdict, the exit codes.
 */
class EvalCommandTest {

    private static final String ID = "ft-20260101-120000-ab12cd";
    private static final String EID = "ev-20260101-121000-0001";

    @TempDir
    Path tmp;

    private HttpServer server;
    private final StringWriter cliErr = new StringWriter();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private PrintStream originalOut;
    private PrintStream originalErr;

    @BeforeEach
    void capture() {
        originalOut = System.out;
        originalErr = System.err;
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(originalOut);
        System.setErr(originalErr);
        if (server != null) {
            server.stop(0);
        }
    }

    private static String evaluation(String state, int done) {
        boolean completed = state.equals("completed");
        String metrics = completed ? """
                {"candidate":{"samples":40,"exact_match":0.5,"token_f1":0.81,"rouge_l":0.77,"avg_answer_chars":120.0,
                  "avg_latency_ms":35.0,"loss":null,"perplexity":null,"judge_win_rate":null},
                 "baseline":{"samples":40,"exact_match":0.0,"token_f1":0.32,"rouge_l":0.28,"avg_answer_chars":310.0,
                  "avg_latency_ms":30.0,"loss":null,"perplexity":null,"judge_win_rate":null}}""" : "null";
        return """
                {"evaluation_id":"%s","task_id":"%s","state":"%s","baseline":"base","candidate_model":"%s",
                 "baseline_model":"Qwen/Qwen2.5-0.5B-Instruct","eval_set":{"source":"held_out","samples":40},
                 "max_samples":50,"max_tokens":256,"judge":null,"progress":{"done":%d,"total":40},
                 "created_at":"2026-01-01T12:10:00Z","metrics":%s,"samples":null,
                 "verdict":%s,"verdict_reason":%s,
                 "error":%s}""".formatted(
                        EID,
                        ID,
                        state,
                        ID,
                        done,
                        metrics,
                        completed ? "\"better\"" : "null",
                        completed ? "\"token F1 0.81 vs 0.32 (+0.49, threshold 0.02) on 40 samples\"" : "null",
                        state.equals("failed")
                                ? "{\"code\":\"baseline_unavailable\",\"message\":\"the base model could not be served\"}"
                                : "null");
    }

    /** The POST answer, then each GET answers the next of {@code reads}, the last one repeatedly. */
    private void serve(int postStatus, String postBody, String... reads) throws IOException {
        AtomicInteger read = new AtomicInteger();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/finetune/tasks/", exchange -> {
            bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            String target = exchange.getRequestMethod() + " " + exchange.getRequestURI();
            requests.add(target);
            int status = 200;
            String body;
            if (target.startsWith("POST ")) {
                status = postStatus;
                body = postBody;
            } else {
                body = reads[Math.min(read.getAndIncrement(), reads.length - 1)];
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
    }

    private int run(String... args) throws IOException {
        return TestCli.run(tmp, cliErr, server.getAddress().getPort(), args);
    }

    private String out() {
        return stdout.toString(StandardCharsets.UTF_8);
    }

    @Test
    void evalWaitShowsProgressThenTheMetricsWithTheBetterValueStarredAndTheVerdict() throws IOException {
        serve(
                202,
                evaluation("queued", 0),
                evaluation("running", 10),
                evaluation("running", 10),
                evaluation("running", 30),
                evaluation("completed", 40));
        int code = run("eval", ID, "--max-samples", "40", "--wait");
        assertThat(code).isZero();
        assertThat(requests.get(0)).isEqualTo("POST /api/finetune/tasks/" + ID + "/evaluations");
        JsonNode sent = StudioJson.mapper().readTree(bodies.get(0));
        assertThat(sent.path("baseline").asText()).isEqualTo("base");
        assertThat(sent.path("max_samples").asInt()).isEqualTo(40);
        assertThat(sent.path("max_tokens").asInt()).isEqualTo(256);
        assertThat(sent.has("judge")).isFalse();
        assertThat(requests.get(1)).isEqualTo("GET /api/finetune/tasks/" + ID + "/evaluations/" + EID);
        assertThat(out())
                .contains("Evaluating " + ID + " against base (evaluation " + EID + ", queued)")
                .contains(" 10/40 running")
                .contains(" 30/40 running")
                .contains("verdict: better - token F1 0.81 vs 0.32");
        // one line per change of the progress, not per read
        assertThat(out().lines().filter(l -> l.contains(" 10/40 running"))).hasSize(1);
        String f1 =
                out().lines().filter(l -> l.startsWith("token_f1")).findFirst().orElseThrow();
        assertThat(f1).contains("*81.0 %").contains("32.0 %").doesNotContain("*32.0");
        String latency = out().lines()
                .filter(l -> l.startsWith("avg_latency_ms"))
                .findFirst()
                .orElseThrow();
        assertThat(latency).contains("*30 ms").doesNotContain("*35");
        String chars = out().lines()
                .filter(l -> l.startsWith("avg_answer_chars"))
                .findFirst()
                .orElseThrow();
        assertThat(chars).doesNotContain("*");
        // figures neither arm has are no rows
        assertThat(out()).doesNotContain("perplexity").doesNotContain("judge_win_rate");
    }

    @Test
    void aFailedEvaluationExits1WithItsReasonAndTheOptionsAreSent() throws IOException {
        serve(202, evaluation("queued", 0), evaluation("failed", 3));
        int code = run(
                "eval",
                ID,
                "--baseline",
                "ft-older",
                "--judge-url",
                "http://judge:8000/v1",
                "--judge-model",
                "judge-7b",
                "--judge-key-env",
                "JUDGE_KEY",
                "--wait");
        assertThat(code).isEqualTo(1);
        JsonNode sent = StudioJson.mapper().readTree(bodies.get(0));
        assertThat(sent.path("baseline").asText()).isEqualTo("ft-older");
        assertThat(sent.at("/judge/base_url").asText()).isEqualTo("http://judge:8000/v1");
        assertThat(sent.at("/judge/model").asText()).isEqualTo("judge-7b");
        assertThat(sent.at("/judge/api_key_env").asText()).isEqualTo("JUDGE_KEY");
        assertThat(out()).contains("evaluation failed: baseline_unavailable the base model could not be served");
    }

    @Test
    void waitWithJsonPrintsOnlyTheFinalEvaluationOnStdout() throws IOException {
        serve(202, evaluation("queued", 0), evaluation("completed", 40));
        int code = run("eval", ID, "--wait", "--json");
        assertThat(code).isZero();
        JsonNode json = StudioJson.mapper().readTree(out());
        assertThat(json.path("verdict").asText()).isEqualTo("better");
        assertThat(json.at("/metrics/candidate/token_f1").asDouble()).isEqualTo(0.81);
        assertThat(stderr.toString(StandardCharsets.UTF_8)).contains("Evaluating " + ID);
    }

    @Test
    void anIncompleteTaskIsTheServersMessageAndExitCode1() throws IOException {
        serve(409, """
                {"error":{"code":"task_not_completed","message":"task %s is training: only a completed task can be evaluated"}}""".formatted(ID));
        int code = run("eval", ID);
        assertThat(code).isEqualTo(1);
        assertThat(cliErr + stderr.toString(StandardCharsets.UTF_8)).contains("only a completed task can be evaluated");
        assertThat(requests).hasSize(1);
    }

    @Test
    void finetuneShowPrintsTheValidationFiguresAndTheLatestVerdict() throws IOException {
        serve(200, "{}", """
                {"task_id":"%s","status":"completed","model_name":"Qwen/Qwen2.5-0.5B-Instruct","latest_loss":0.8,
                 "epoch":1.0,"eval_loss":0.91,"best_eval_loss":0.87,"best_step":30,
                 "evaluation":{"evaluation_id":"%s","state":"completed","verdict":"worse","baseline":"base",
                   "completed_at":"2026-01-01T12:20:00Z"}}""".formatted(ID, EID));
        int code = run("finetune", "show", ID);
        assertThat(code).isZero();
        assertThat(out())
                .contains("eval_loss        0.91")
                .contains("best_eval_loss   0.87")
                .contains("best_step        30")
                .contains("evaluation       worse vs base (" + EID + ", completed 2026-01-01T12:20:00Z)");
    }
}
