package io.sage.studio.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.sun.net.httpserver.HttpServer;

import io.sage.studio.cli.CliEnvironment;
import io.sage.studio.cli.SageCli;
import picocli.CommandLine;

/**
 * The printed output of the client commands, byte for byte, against answers shaped like the services' real ones
 * ({@code src/test/resources/golden/*.json}); the expected output is {@code golden/<case>.out}. Run with
 * {@code -Dgolden.write=true} to rewrite the expected files (only when an output change is intended).
 */
class CommandOutputTest {

    @TempDir
    Path tmp;

    private HttpServer server;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private PrintStream originalOut;
    private PrintStream originalErr;

    @BeforeEach
    void start() throws IOException {
        originalOut = System.out;
        originalErr = System.err;
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        route("/api/finetune/tasks/qwen-0.5b-20260101-120000-ab12", "task.json");
        route("/api/finetune/tasks", "tasks.json");
        route("/api/finetune/models", "models.json");
        route("/api/finetune/current-model", "current-model.json");
        route("/api/finetune/upload-dataset", "upload.json");
        route("/api/finetune/create", "created.json");
        route("/api/system/gpu-info", "gpu.json");
        route("/none/api/system/gpu-info", "gpu-none.json");
        route("/api/chat/switch", "switch.json");
        route("/api/chat/serving", "serving.json");
        route("/api/chat/rollouts/ro-20260101-120500", "rollout.json");
        route("/failing/api/chat/switch", "switch-failed.json");
        route("/failing/api/finetune/tasks/", "task.json");
        route("/seed/api/system/gpu-info", "gpu-seed.json");
        route("/finetuned/api/finetune/tasks/", "task.json");
        route("/finetuned/api/chat/switch", "switch.json");
        route("/finetuned/api/finetune/current-model", "current-model-finetuned.json");
        server.start();
    }

    @AfterEach
    void stop() {
        System.setOut(originalOut);
        System.setErr(originalErr);
        server.stop(0);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "finetune-list      | | finetune list",
                "finetune-list-json | | finetune list --json",
                "finetune-show      | | finetune show qwen-0.5b-20260101-120000-ab12",
                "finetune-show-json | | finetune show qwen-0.5b-20260101-120000-ab12 --json",
                "finetune-cancel    | | finetune cancel qwen-0.5b-20260101-120000-ab12",
                "finetune-start     | | finetune start --model Qwen/Qwen2.5-0.5B-Instruct --data DATA --epochs 2",
                "finetune-start-json| | finetune start --model Qwen/Qwen2.5-0.5B-Instruct --data DATA --json",
                "models-list        | | models list",
                "gpu                | | gpu",
                "gpu-none           | /none | gpu",
                "gpu-seed           | /seed | gpu",
                "switch             | | switch Qwen/Qwen2.5-0.5B-Instruct",
                "switch-wait        | | switch Qwen/Qwen2.5-0.5B-Instruct --wait",
                "switch-wait-failed | /failing | switch qwen-0.5b-20260101-120000-ab12 --wait",
                "switch-wait-ft     | /finetuned | switch qwen-0.5b-20260101-120000-ab12 --wait",
                "serve              | | serve",
                "rollout-status     | | rollout status ro-20260101-120500",
            })
    void outputIsUnchanged(String name, String prefix, String args) throws IOException {
        Path data = Files.writeString(tmp.resolve("data.jsonl"), "{\"messages\":[]}\n");
        String url = "http://127.0.0.1:" + server.getAddress().getPort() + (prefix == null ? "" : prefix);
        String[] argv = (args.replace("DATA", data.toString()) + " --url " + url).split(" ");
        StringWriter err = new StringWriter();
        CommandLine cli = SageCli.commandLine(new CliEnvironment(
                Map.of(
                        "STUDIO_HOME",
                        tmp.resolve("home").toString(),
                        "STUDIO_GATEWAY_PORT",
                        Integer.toString(closedPort())),
                tmp));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(argv);
        String actual = ("exit " + code + "\n--- stdout\n" + stdout.toString(StandardCharsets.UTF_8) + "--- stderr\n"
                        + err + stderr.toString(StandardCharsets.UTF_8))
                .replace(data.toString(), "DATA");
        Path expected = Path.of("src/test/resources/golden", name + ".out");
        if (Boolean.getBoolean("golden.write")) {
            Files.writeString(expected, actual, StandardCharsets.UTF_8);
        }
        assertThat(actual).isEqualTo(Files.readString(expected, StandardCharsets.UTF_8));
    }

    private void route(String path, String resource) {
        Map<String, byte[]> cache = new HashMap<>();
        server.createContext(path, exchange -> {
            exchange.getRequestBody().readAllBytes();
            byte[] bytes = cache.computeIfAbsent(resource, r -> {
                try (InputStream in = getClass().getResourceAsStream("/golden/" + r)) {
                    return in.readAllBytes();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
