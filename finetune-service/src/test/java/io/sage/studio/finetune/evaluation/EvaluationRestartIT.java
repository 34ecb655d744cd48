package io.sage.studio.finetune.evaluation;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sage.studio.finetune.PackagedService;
import io.sage.studio.kafka.KafkaBroker;

/**
 * Evaluations on the packaged service as a real process, with the stand-in trainer, a stand-in vLLM
 * ({@code testing/fake-vllm}) as the OpenAI API, and a stand-in of the chat-switch-service's serving API (this
 * class's {@link #serving}: {@code POST /api/chat/serving?wait=true {"model"}} answers chat-switch's
 * {@code ServeResult}, hot-loading a task's {@code lora/} into the stand-in vLLM as chat-switch does). A completed
 * task is evaluated against its base on the 50 samples (5 % of 1000) it kept out of training; the service is killed (SIGKILL) while a second
 * evaluation waits for serving, and after the restart the completed evaluation is read back whole from disk and the
 * interrupted one is failed with {@code service_restarted}.
 */
class EvaluationRestartIT {

    private static final Path FAKE_VLLM = Path.of("..", "testing", "fake-vllm", "fake_vllm.py")
            .toAbsolutePath()
            .normalize();
    private static final Duration LONG = PackagedService.LONG;
    private static final String BASE = "Qwen/Qwen2.5-0.5B-Instruct";
    private static final String BASE_SERVED = "base-served";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final List<Process> processes = new ArrayList<>();
    private final List<String> serveCalls = new CopyOnWriteArrayList<>();
    private KafkaBroker broker;
    private HttpServer serving;
    private int vllmPort;

    @AfterEach
    void stop() {
        processes.forEach(Process::destroy);
        if (serving != null) {
            serving.stop(0);
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void anEvaluationAgainstTheBaseCompletesAndSurvivesARestart() throws Exception {
        broker = KafkaBroker.ephemeral().start();
        startVllm();
        startServingStandIn();
        Path home = Files.createDirectories(tmp.resolve("home"));
        int port = KafkaBroker.freePort();
        Process first = startService(home, port);

        String task = completedTask(port);
        // field errors, a task that is not completed, an unknown evaluation
        given().port(port)
                .contentType(ContentType.JSON)
                .body(Map.of("max_samples", 501))
                .post("/api/finetune/tasks/" + task + "/evaluations")
                .then()
                .statusCode(400)
                .body("error.details[0].field", equalTo("max_samples"));
        given().port(port)
                .contentType(ContentType.JSON)
                .body(Map.of("judge", Map.of("base_url", "ftp://x", "model", "m")))
                .post("/api/finetune/tasks/" + task + "/evaluations")
                .then()
                .statusCode(400)
                .body("error.details[0].field", equalTo("judge.base_url"));
        given().port(port)
                .contentType(ContentType.JSON)
                .body(Map.of("eval_file", "no-such-dataset.jsonl"))
                .post("/api/finetune/tasks/" + task + "/evaluations")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("dataset_not_allowed"))
                .body("error.details[0].field", equalTo("eval_file"));
        given().port(port)
                .get("/api/finetune/tasks/" + task + "/evaluations/ev-20260101-000000-abcdef")
                .then()
                .statusCode(404)
                .body("error.code", equalTo("evaluation_not_found"));

        long started = System.nanoTime();
        JsonPath queued = given().port(port)
                .contentType(ContentType.JSON)
                .body(Map.of("baseline", "base", "max_samples", 50))
                .post("/api/finetune/tasks/" + task + "/evaluations")
                .then()
                .statusCode(202)
                .body("state", equalTo("queued"))
                .body("eval_set.source", equalTo("held_out"))
                .body("eval_set.samples", equalTo(50))
                .extract()
                .jsonPath();
        String evaluation = queued.getString("evaluation_id");
        String url = "/api/finetune/tasks/" + task + "/evaluations/" + evaluation;
        await().atMost(LONG)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> !given().port(port)
                        .get(url)
                        .then()
                        .extract()
                        .<String>path("state")
                        .matches("queued|running"));
        long millis = (System.nanoTime() - started) / 1_000_000;
        System.out.println("evaluation of 50 samples with the stand-ins: " + millis + " ms");

        JsonPath done =
                given().port(port).get(url).then().statusCode(200).extract().jsonPath();
        assertThat(done.getString("state")).as(done.prettify()).isEqualTo("completed");
        assertThat(done.getString("candidate_model")).isEqualTo(task);
        assertThat(done.getString("baseline_model")).isEqualTo(BASE_SERVED);
        assertThat(serveCalls).containsExactly(task, BASE);
        assertThat(done.getInt("progress.done")).isEqualTo(50);
        assertThat(done.getList("samples")).hasSize(50);
        String firstPrompt = done.getString("samples[0].prompt");
        assertThat(done.getString("samples[0].candidate")).startsWith("[" + task + "] you said: " + firstPrompt);
        assertThat(done.getString("samples[0].baseline")).startsWith("[" + BASE_SERVED + "] you said: " + firstPrompt);
        assertThat(done.getString("samples[1].reference"))
                .isEqualTo("you said: " + done.getString("samples[1].prompt"));
        // The samples are the 5 % the task kept out of training: not one of them is in what the trainer read.
        Path taskDir = home.resolve("studio_finetune").resolve(task);
        assertThat(Files.readAllLines(taskDir.resolve("heldout.jsonl"))).hasSize(50);
        String trained = Files.readString(taskDir.resolve("dataset.jsonl"));
        assertThat(trained.lines().count()).isEqualTo(950);
        for (String prompt : done.getList("samples.prompt", String.class)) {
            assertThat(trained).as("held-out prompt %s", prompt).doesNotContain("\"" + prompt + "\"");
        }
        assertThat(done.getInt("metrics.candidate.samples")).isEqualTo(50);
        // "you said: qN" against "[<task id>] you said: qN" (7 words once punctuation is gone: p 3/7, F1 0.6) and
        // "[base-served] you said: qN" (5 words: F1 0.75): the base echoes with fewer extra words, so it wins
        assertThat(done.getDouble("metrics.candidate.token_f1")).isCloseTo(0.6, within(1e-9));
        assertThat(done.getDouble("metrics.baseline.token_f1")).isCloseTo(0.75, within(1e-9));
        assertThat(done.getDouble("metrics.candidate.rouge_l")).isCloseTo(0.6, within(1e-9));
        assertThat(done.getDouble("metrics.candidate.exact_match")).isZero();
        assertThat(done.getDouble("metrics.candidate.avg_latency_ms")).isPositive();
        assertThat(done.getString("metrics.candidate.loss")).isNull();
        assertThat(done.getString("metrics.candidate.judge_win_rate")).isNull();
        assertThat(done.getString("verdict")).isEqualTo("worse");
        assertThat(done.getString("verdict_reason"))
                .startsWith("worse: token-F1 0.600 vs 0.750 (-0.150)")
                .contains("50 samples");
        given().port(port)
                .get("/api/finetune/tasks/" + task)
                .then()
                .body("evaluation.evaluation_id", equalTo(evaluation))
                .body("evaluation.state", equalTo("completed"))
                .body("evaluation.verdict", equalTo("worse"));
        given().port(port)
                .get("/api/finetune/tasks/" + task + "/evaluations")
                .then()
                .body("evaluations[0].evaluation_id", equalTo(evaluation))
                .body("evaluations[0].samples", equalTo(null));

        // a second evaluation waits for its baseline to be served when the service is killed
        String interrupted = given().port(port)
                .contentType(ContentType.JSON)
                .body(Map.of("baseline", "slow-model", "max_samples", 5))
                .post("/api/finetune/tasks/" + task + "/evaluations")
                .then()
                .statusCode(202)
                .extract()
                .path("evaluation_id");
        await().atMost(LONG).until(() -> serveCalls.contains("slow-model"));
        first.destroyForcibly().waitFor();

        int again = KafkaBroker.freePort();
        startService(home, again);
        JsonPath reread =
                given().port(again).get(url).then().statusCode(200).extract().jsonPath();
        assertThat(reread.getMap("")).isEqualTo(done.getMap(""));
        given().port(again)
                .get("/api/finetune/tasks/" + task + "/evaluations/" + interrupted)
                .then()
                .body("state", equalTo("failed"))
                .body("error.code", equalTo("service_restarted"));
        given().port(again)
                .get("/api/finetune/tasks/" + task)
                .then()
                .body("evaluation.evaluation_id", equalTo(interrupted))
                .body("evaluation.state", equalTo("failed"));
        given().port(again)
                .get("/api/finetune/tasks/" + task + "/evaluations")
                .then()
                .body("evaluations.evaluation_id", equalTo(List.of(interrupted, evaluation)));
    }

    /** A task trained on 1000 records by the stand-in trainer, completed. */
    private String completedTask(int port) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            lines.append("{\"instruction\":\"q")
                    .append(i)
                    .append("\",\"output\":\"you said: q")
                    .append(i)
                    .append("\"}\n");
        }
        Path data = Files.writeString(tmp.resolve("d.jsonl"), lines);
        String dataset = given().port(port)
                .multiPart("file", data.toFile())
                .post("/api/finetune/upload-dataset")
                .then()
                .statusCode(200)
                .extract()
                .path("dataset_id");
        String task = given().port(port)
                .contentType(ContentType.JSON)
                .body(Map.of("model_name", BASE, "dataset_file", dataset, "method", "lora"))
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .extract()
                .path("task_id");
        given().port(port)
                .contentType(ContentType.JSON)
                .body(Map.of())
                .post("/api/finetune/tasks/" + task + "/evaluations")
                .then()
                .statusCode(409)
                .body("error.code", equalTo("task_not_completed"));
        await().atMost(LONG)
                .until(() -> "completed"
                        .equals(given().port(port)
                                .get("/api/finetune/tasks/" + task)
                                .then()
                                .extract()
                                .path("status")));
        return task;
    }

    private Process startService(Path home, int port) throws IOException {
        Process process = PackagedService.start(
                home,
                broker.bootstrapServers(),
                port,
                tmp.resolve("service.log"),
                Map.of(
                        "STUDIO_FINETUNE_EVALUATION_CHAT_URL",
                        "http://127.0.0.1:" + serving.getAddress().getPort(),
                        "STUDIO_FINETUNE_EVALUATION_OPENAI_URL",
                        "http://127.0.0.1:" + vllmPort,
                        "FAKE_TRAINER_STEP_DELAY",
                        "0.02",
                        "FAKE_TRAINER_STEPS",
                        "5"));
        processes.add(process);
        return process;
    }

    private void startVllm() throws IOException {
        vllmPort = KafkaBroker.freePort();
        ProcessBuilder builder = new ProcessBuilder(
                        "python3",
                        FAKE_VLLM.toString(),
                        "serve",
                        BASE,
                        "--host",
                        "127.0.0.1",
                        "--port",
                        Integer.toString(vllmPort),
                        "--served-model-name",
                        BASE_SERVED,
                        "--enable-lora",
                        "--max-lora-rank",
                        "64",
                        "--max-loras",
                        "4")
                .redirectErrorStream(true)
                .redirectOutput(
                        ProcessBuilder.Redirect.appendTo(tmp.resolve("vllm.log").toFile()));
        builder.environment().put("VLLM_ALLOW_RUNTIME_LORA_UPDATING", "true");
        processes.add(builder.start());
        HttpClient client = HttpClient.newHttpClient();
        await().atMost(LONG)
                .pollInterval(Duration.ofMillis(100))
                .ignoreExceptions()
                .until(() -> client.send(
                                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + vllmPort + "/health"))
                                                .build(),
                                        HttpResponse.BodyHandlers.discarding())
                                .statusCode()
                        == 200);
    }

    /**
     * chat-switch's {@code POST /api/chat/serving?wait=true}: the base model answers under the engine's served name;
     * a task id is hot-loaded from its {@code lora/} under the task id (chat-switch serves a task's adapter by its
     * id); {@code slow-model} never becomes ready while the test runs.
     */
    private void startServingStandIn() throws IOException {
        serving = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        serving.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        HttpClient client = HttpClient.newHttpClient();
        serving.createContext("/api/chat/serving", exchange -> {
            JsonNode body = JSON.readTree(exchange.getRequestBody());
            String model = body.path("model").asText();
            serveCalls.add(model);
            if (!exchange.getRequestURI().getQuery().contains("wait=true")) {
                answer(exchange, 400, Map.of("error", "invalid_field", "message", "the test expects wait=true"));
                return;
            }
            if (model.equals(BASE) || model.equals(BASE_SERVED)) {
                answer(
                        exchange,
                        200,
                        Map.of("model", BASE_SERVED, "display_name", BASE, "engine", "local-1", "state", "ready"));
                return;
            }
            if (model.equals("slow-model")) {
                try {
                    Thread.sleep(LONG.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                answer(exchange, 504, Map.of("error", "switch_timeout", "message", "not ready"));
                return;
            }
            Path lora = tmp.resolve("home")
                    .resolve("studio_finetune")
                    .resolve(model)
                    .resolve("lora");
            try {
                HttpResponse<String> loaded = client.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + vllmPort + "/v1/load_lora_adapter"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(
                                        Map.of("lora_name", model, "lora_path", lora.toString()))))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (loaded.statusCode() != 200 && !loaded.body().contains("already been loaded")) {
                    answer(exchange, 502, Map.of("error", "switch_failed", "message", loaded.body()));
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            answer(exchange, 200, Map.of("model", model, "display_name", model, "engine", "local-1", "state", "ready"));
        });
        serving.start();
    }

    private static void answer(HttpExchange exchange, int status, Map<String, Object> body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
        exchange.close();
    }
}
