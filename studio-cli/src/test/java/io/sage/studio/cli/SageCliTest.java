package io.sage.studio.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.sage.studio.cli.api.TaskView;
import io.sage.studio.cli.client.StudioClient;
import io.sage.studio.cli.commands.ProgressLines;
import io.sage.studio.cli.commands.StudioCommand;
import io.sage.studio.cli.launcher.LauncherException;
import io.sage.studio.events.StudioJson;
import picocli.CommandLine;

class SageCliTest {

    @TempDir
    Path tmp;

    private HttpServer server;
    /** This test's studio: its own home and free ports, never the user's ({@code ~/.sage}, 8080-8083, 9092). */
    private final Map<String, String> env = new HashMap<>();

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private PrintStream originalOut;
    private PrintStream originalErr;

    @BeforeEach
    void ownHomeAndPorts() throws IOException {
        env.put("STUDIO_HOME", tmp.resolve("home").toString());
        String[] variables = {
            "STUDIO_GATEWAY_PORT",
            "STUDIO_FINETUNE_PORT",
            "STUDIO_CHAT_PORT",
            "STUDIO_GPU_PORT",
            "STUDIO_KAFKA_PORT",
            "SAGE_STUDIO_LLM_PORT"
        };
        for (String variable : variables) {
            env.put(variable, Integer.toString(closedPort()));
        }
    }

    @BeforeEach
    void captureOutput() {
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

    private record Result(int code, String out, String err) {}

    private Result run(String... args) {
        return run(env, args);
    }

    private Result run(Map<String, String> variables, String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = SageCli.commandLine(new CliEnvironment(variables, tmp));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Result(code, stdout.toString(StandardCharsets.UTF_8), err + stderr.toString(StandardCharsets.UTF_8));
    }

    @Test
    void anUnreachableStudioIsOneClearLineAndExitCode2() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Result result = run("finetune", "list", "--url", "http://127.0.0.1:" + port);
        assertThat(result.code()).isEqualTo(SageCli.EXIT_UNREACHABLE);
        assertThat(result.err().strip().lines()).hasSize(1);
        assertThat(result.err()).contains("cannot reach the studio at http://127.0.0.1:" + port);
    }

    @Test
    void listShowsOnePageAndAllFollowsTheCursorsToTheLastPage() throws IOException {
        List<String> queries = new ArrayList<>();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/finetune/tasks", exchange -> {
            String query = exchange.getRequestURI().getRawQuery();
            queries.add(query);
            String task = query.contains("cursor=c1") ? "ft-old" : "ft-new";
            String next = query.contains("cursor=c1") ? "null" : "\"c1\"";
            byte[] bytes = ("{\"tasks\":[{\"task_id\":\"" + task + "\",\"status\":\"completed\"}],\"total\":2,"
                            + "\"next_cursor\":" + next + "}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();

        Result page = run("finetune", "list", "--limit", "1", "--status", "completed,failed", "--url", url());
        assertThat(page.code()).as(page.err()).isZero();
        assertThat(page.out()).contains("ft-new").doesNotContain("ft-old");
        assertThat(page.err()).contains("1 of 2 tasks shown; --all for every task");
        assertThat(queries).containsExactly("limit=1&status=completed%2Cfailed");

        queries.clear();
        Result all = run("finetune", "list", "--all", "--json", "--url", url());
        assertThat(all.code()).as(all.err()).isZero();
        assertThat(all.out()).contains("ft-new").contains("ft-old");
        assertThat(queries).containsExactly("limit=500", "limit=500&cursor=c1");
    }

    @Test
    void datasetLineErrorsArePrintedWithLineNumbersAndExitCode1() throws IOException {
        serve("/api/finetune/upload-dataset", 400, """
                {"error":{"code":"dataset_invalid","message":"no valid record in data.jsonl",
                 "details":[{"line":1,"code":"invalid_json","message":"Unexpected character"},
                            {"line":2,"code":"missing_assistant_message","message":"no assistant turn"}]}}""");
        Path data = Files.writeString(tmp.resolve("data.jsonl"), "{oops\n{\"messages\":[]}\n");
        Result result = run(
                "finetune",
                "start",
                "--model",
                "Qwen/Qwen2.5-0.5B-Instruct",
                "--data",
                data.toString(),
                "--url",
                url());
        assertThat(result.code()).isEqualTo(1);
        assertThat(result.err()).contains("line 1: invalid_json").contains("line 2: missing_assistant_message");
    }

    @Test
    void startSendsTheValidationSettingsAndUploadsALocalValidationFileFirst() throws IOException {
        List<String> uploads = new ArrayList<>();
        AtomicReference<String> created = new AtomicReference<>();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/finetune/upload-dataset", exchange -> {
            uploads.add(exchange.getRequestHeaders().getFirst("Content-Type") + " "
                    + exchange.getRequestURI().getRawQuery() + " "
                    + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            answer(
                    exchange,
                    200,
                    "{\"dataset_id\":\"ds-" + uploads.size() + "\",\"path\":\"/home/datasets/ds-" + uploads.size()
                            + ".jsonl\",\"format\":\"alpaca\",\"valid_records\":3,\"invalid_records\":0}");
        });
        server.createContext("/api/finetune/create", exchange -> {
            created.set(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            answer(exchange, 201, "{\"task_id\":\"ft-1\",\"status\":\"queued\"}");
        });
        server.start();
        Path data = Files.writeString(tmp.resolve("train.jsonl"), "{\"instruction\":\"a\",\"output\":\"b\"}\n");
        Path validation = Files.writeString(tmp.resolve("val.jsonl"), "{\"instruction\":\"c\",\"output\":\"d\"}\n");

        Result result = run(
                "finetune",
                "start",
                "--model",
                "Qwen/Qwen2.5-0.5B-Instruct",
                "--data",
                data.toString(),
                "--validation-file",
                validation.toString(),
                "--eval-steps",
                "5",
                "--early-stopping-patience",
                "2",
                "--seed",
                "7",
                "--url",
                url());

        assertThat(result.code()).as(result.err()).isZero();
        assertThat(uploads).hasSize(2);
        // The file is the whole body (no multipart temp file on the studio's side), its name in the query.
        assertThat(uploads.get(0))
                .isEqualTo("application/x-ndjson filename=train.jsonl {\"instruction\":\"a\",\"output\":\"b\"}\n");
        assertThat(uploads.get(1)).contains("\"instruction\":\"c\"");
        JsonNode body = StudioJson.mapper().readTree(created.get());
        assertThat(body.path("dataset_file").asText()).isEqualTo("/home/datasets/ds-1.jsonl");
        assertThat(body.path("validation_file").asText()).isEqualTo("/home/datasets/ds-2.jsonl");
        assertThat(body.path("eval_steps").asInt()).isEqualTo(5);
        assertThat(body.path("early_stopping_patience").asInt()).isEqualTo(2);
        assertThat(body.path("seed").asInt()).isEqualTo(7);
        assertThat(body.has("validation_split")).isFalse();

        run("finetune", "start", "--model", "m", "--data", "ds-9", "--validation-split", "0.1", "--url", url());
        body = StudioJson.mapper().readTree(created.get());
        assertThat(body.path("dataset_file").asText())
                .as("a dataset id is not uploaded")
                .isEqualTo("ds-9");
        assertThat(body.path("validation_split").asDouble()).isEqualTo(0.1);
        assertThat(body.has("validation_file")).isFalse();
        assertThat(uploads).hasSize(2);
    }

    @Test
    void startSendsTheTaskShapeAndShowsTheLayoutTheStudioChose() throws IOException {
        AtomicReference<String> created = new AtomicReference<>();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/finetune/create", exchange -> {
            created.set(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            answer(
                    exchange,
                    201,
                    "{\"task_id\":\"ft-1\",\"status\":\"queued\",\"config\":{\"gpus\":4,\"nodes\":2,"
                            + "\"parallelism\":\"fsdp\",\"save_steps\":50}}");
        });
        server.start();

        Result result = run(
                "finetune",
                "start",
                "--model",
                "m",
                "--data",
                "ds-1",
                "--gpus",
                "4",
                "--nodes",
                "2",
                "--parallelism",
                "auto",
                "--save-steps",
                "50",
                "--url",
                url());

        assertThat(result.code()).as(result.err()).isZero();
        JsonNode body = StudioJson.mapper().readTree(created.get());
        assertThat(body.path("gpus").asInt()).isEqualTo(4);
        assertThat(body.path("nodes").asInt()).isEqualTo(2);
        assertThat(body.path("parallelism").asText()).isEqualTo("auto");
        assertThat(body.path("save_steps").asInt()).isEqualTo(50);
        assertThat(result.out()).contains("Created task ft-1 (queued)").contains("4 GPU(s) × 2 node(s), fsdp");

        run("finetune", "start", "--model", "m", "--data", "ds-1", "--url", url());
        body = StudioJson.mapper().readTree(created.get());
        assertThat(body.has("gpus")).isFalse();
        assertThat(body.has("save_steps")).isFalse();
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Test
    void validationErrorsNameTheField() throws IOException {
        serve("/api/finetune/tasks/t1", 400, """
                {"error":{"code":"invalid_field","message":"num_epochs must be between 1 and 100",
                 "details":[{"field":"num_epochs","message":"must be between 1 and 100"}]}}""");
        Result result = run("finetune", "show", "t1", "--url", url());
        assertThat(result.code()).isEqualTo(1);
        assertThat(result.err())
                .contains("num_epochs must be between 1 and 100")
                .contains("num_epochs: must be");
    }

    @Test
    void jsonOutputIsTheServersAnswer() throws IOException {
        serve("/api/finetune/models", 200, "[{\"id\":\"Qwen/Qwen2.5-0.5B-Instruct\",\"type\":\"base\"}]");
        Result result = run("models", "list", "--json", "--url", url());
        assertThat(result.code()).isZero();
        assertThat(result.out()).contains("\"type\" : \"base\"");
    }

    @Test
    void progressLineShowsStepEpochLossAndEta() throws IOException {
        TaskView task = StudioJson.mapper().readValue("""
                {"status":"training","progress":42.5,"step":17,"total_steps":40,"current_epoch":2,"epoch":1.27,
                 "total_epochs":3,"loss":0.83125,"latest_loss":0.83125,"eta_seconds":95}""", TaskView.class);
        String line = ProgressLines.of(task);
        assertThat(line)
                .contains("42.5%")
                .contains("step 17/40")
                .contains("epoch 1.27/3")
                .contains("loss 0.8313")
                .contains("ETA 1m35s")
                .contains("[########------------]");
        assertThat(line).doesNotContain("eval_loss");
    }

    @Test
    void progressLineShowsTheEvalLossAndTheBestWhenItWasAnotherStep() throws IOException {
        TaskView rising = StudioJson.mapper().readValue("""
                {"status":"training","progress":50,"step":20,"total_steps":40,"loss":0.5,"latest_loss":0.5,
                 "eval_loss":0.93,"best_eval_loss":0.87,"best_step":12}""", TaskView.class);
        assertThat(ProgressLines.of(rising)).contains("loss 0.5000 eval_loss 0.9300 (best 0.8700 @ 12)");
        TaskView best = StudioJson.mapper().readValue("""
                {"status":"training","progress":50,"step":20,"total_steps":40,"loss":0.5,"latest_loss":0.5,
                 "eval_loss":0.87,"best_eval_loss":0.87,"best_step":20}""", TaskView.class);
        assertThat(ProgressLines.of(best)).contains("eval_loss 0.8700").doesNotContain("best");
    }

    @Test
    void sseEventsAreParsedAcrossMultiLineData() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/stream", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write("event: task\ndata: {\"a\":\ndata: 1}\n\n: comment\n\nevent: end\ndata: x\n\n"
                        .getBytes(StandardCharsets.UTF_8));
            }
        });
        server.start();
        List<StudioClient.SseEvent> events = new ArrayList<>();
        new StudioClient(url(), null).stream("/stream", e -> {
            events.add(e);
            return true;
        });
        assertThat(events)
                .containsExactly(
                        new StudioClient.SseEvent("task", "{\"a\":\n1}"), new StudioClient.SseEvent("end", "x"));
    }

    @Test
    void studioStatusExitsNonZeroWhenNothingRuns() {
        Result result = run("studio", "status", "--json");
        assertThat(result.code()).isEqualTo(1);
    }

    /**
     * A studio "runs" at the default home (the JVM's {@code user.home}, which comes from passwd, not {@code $HOME}):
     * its pid files name live processes. Status with this test's environment must not see it, and must report the
     * ports of this environment, not the defaults.
     */
    @Test
    void studioStatusReadsTheGivenHomeAndPortsNeverTheDefaultStudio() throws IOException {
        Path decoyUser = tmp.resolve("decoy-user");
        Path run = Files.createDirectories(decoyUser.resolve(".sage/studio/run"));
        long pid = ProcessHandle.current().pid();
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String startTime = stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19];
        for (String component :
                List.of("kafka", "gateway-adapter", "finetune-service", "chat-switch-service", "gpu-probe-service")) {
            Files.writeString(
                    run.resolve(component + ".pid"), "pid=" + pid + "\nstart_time=" + startTime + "\ncommand=decoy\n");
        }
        String userHome = System.getProperty("user.home");
        System.setProperty("user.home", decoyUser.toString());
        try {
            // The decoy is visible where the default home is read ...
            Map<String, String> defaults = new HashMap<>(env);
            defaults.remove("STUDIO_HOME");
            Result decoy = run(defaults, "studio", "status", "--json");
            assertThat(StudioJson.mapper().readTree(decoy.out()).findValuesAsText("pid"))
                    .contains(Long.toString(pid));
            stdout.reset();

            // ... and nowhere else.
            Result result = run("studio", "status", "--json");
            assertThat(result.code()).isEqualTo(1);
            JsonNode statuses = StudioJson.mapper().readTree(result.out());
            assertThat(statuses).hasSize(5);
            for (JsonNode status : statuses) {
                assertThat(status.path("state").asText()).as(status.toString()).isEqualTo("down");
                assertThat(status.path("pid").isNull()).as(status.toString()).isTrue();
            }
            assertThat(statuses.findValuesAsText("url"))
                    .containsExactlyInAnyOrder(
                            "localhost:" + env.get("STUDIO_KAFKA_PORT"),
                            "http://localhost:" + env.get("STUDIO_GATEWAY_PORT"),
                            "http://localhost:" + env.get("STUDIO_FINETUNE_PORT"),
                            "http://localhost:" + env.get("STUDIO_CHAT_PORT"),
                            "http://localhost:" + env.get("STUDIO_GPU_PORT"));
        } finally {
            System.setProperty("user.home", userHome);
        }
    }

    @Test
    void clientCommandsUseTheGatewayPortOfTheirEnvironment() {
        Result result = run("finetune", "list");
        assertThat(result.code()).as(result.err()).isEqualTo(SageCli.EXIT_UNREACHABLE);
        assertThat(result.err())
                .contains("cannot reach the studio at http://localhost:" + env.get("STUDIO_GATEWAY_PORT"));
    }

    private void serve(String path, int status, String body) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext(path, exchange -> {
            exchange.getRequestBody().readAllBytes();
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Test
    void prodRefusesToListenBeyondLoopbackWithoutAuth() {
        assertThatThrownBy(
                        () -> StudioCommand.StartFlags.checkProductionBinding(Map.of("QUARKUS_HTTP_HOST", "0.0.0.0")))
                .isInstanceOf(LauncherException.class)
                .hasMessageContaining("without authentication");
        StudioCommand.StartFlags.checkProductionBinding(
                Map.of("QUARKUS_HTTP_HOST", "0.0.0.0", "STUDIO_AUTH_MODE", "token"));
        StudioCommand.StartFlags.checkProductionBinding(Map.of());
    }

    @Test
    void studioStatusPrintsTheLocalOpenAiUrlOfItsEnvironment() throws IOException {
        String url = "http://localhost:" + env.get("SAGE_STUDIO_LLM_PORT") + "/v1";
        Result text = run("studio", "status");
        assertThat(text.out()).contains("Local OpenAI API: " + url);
        stdout.reset();
        Result json = run("studio", "status", "--json");
        assertThat(StudioJson.mapper().readTree(json.out()).findValuesAsText("openai_url"))
                .containsExactly(url);
    }

    @Test
    void studioLogsTakesTheOriginalStudiosLogNames() throws IOException {
        Path logs = Files.createDirectories(tmp.resolve("home/studio/logs"));
        Files.writeString(logs.resolve("finetune-service.log"), "finetune line\n");
        Files.writeString(logs.resolve("gateway-adapter.log"), "gateway line\n");
        Result finetune = run("studio", "logs", "finetune_api.log", "-n", "5");
        assertThat(finetune.code()).as(finetune.err()).isZero();
        assertThat(finetune.out()).contains("finetune line").doesNotContain("gateway line");
        stdout.reset();
        Result gateway = run("studio", "logs", "~/.sage/studio/chat/gateway.log", "-n", "5");
        assertThat(gateway.code()).as(gateway.err()).isZero();
        assertThat(gateway.out()).contains("gateway line").doesNotContain("finetune line");
    }
}
