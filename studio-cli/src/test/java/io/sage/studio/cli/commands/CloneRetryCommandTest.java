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

import io.sage.studio.cli.SageCli;
import io.sage.studio.events.StudioJson;

/**
 * {@code sage finetune clone}, {@code retry}, {@code pause} and {@code resume}: the requests they send ({@code --set}
 * typed, {@code --no-checkpoint}), their lines, {@code --wait} following the task to its end (a pause: until it is
 * paused), {@code --json}, and a refusal's message and exit code.
 */
class CloneRetryCommandTest {

    private static final String ID = "ft-20260101-120000-ab12cd";
    private static final String CLONE = "ft-20260101-130000-cd34ef";

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

    private static String task(String id, String status, int attempt, long step) {
        return """
                {"task_id":"%s","status":"%s","attempt":%d,"step":%d,"total_steps":12,"progress":0,
                 "artifacts":{},"warnings":[],"warning_details":[],"error_message":null}""".formatted(id, status, attempt, step);
    }

    /** The POST's answer, then each GET of a task answers the next of {@code reads}, the last one repeatedly. */
    private void serve(int postStatus, String postBody, String... reads) throws IOException {
        AtomicInteger count = new AtomicInteger();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/finetune/tasks/", exchange -> {
            String sent = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String target = exchange.getRequestMethod() + " " + exchange.getRequestURI();
            int status = 200;
            String body;
            if (target.endsWith("/stream")) {
                status = 404;
                body = "{\"error\":{\"code\":\"not_found\",\"message\":\"no stream here\"}}";
            } else if (target.startsWith("POST ")) {
                requests.add(target);
                bodies.add(sent);
                status = postStatus;
                body = postBody;
            } else {
                requests.add(target);
                body = reads[Math.min(count.getAndIncrement(), reads.length - 1)];
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
    void cloneSendsTheSetOverridesTypedAndPrintsTheNewTask() throws IOException {
        serve(201, task(CLONE, "queued", 1, 0));
        int code = run(
                "finetune",
                "clone",
                ID,
                "--set",
                "num_epochs=5",
                "--set",
                "learning-rate=0.0001",
                "--set",
                "merge=false",
                "--set",
                "suffix=v2",
                "--set",
                "model_name=Qwen/Qwen2.5-1.5B-Instruct");
        assertThat(code).isZero();
        assertThat(requests.get(0)).isEqualTo("POST /api/finetune/tasks/" + ID + "/clone");
        JsonNode sent = StudioJson.mapper().readTree(bodies.get(0));
        assertThat(sent.path("num_epochs").isInt()).isTrue();
        assertThat(sent.path("num_epochs").asInt()).isEqualTo(5);
        assertThat(sent.path("learning_rate").isNumber()).isTrue();
        assertThat(sent.path("learning_rate").asDouble()).isEqualTo(1e-4);
        assertThat(sent.path("merge").isBoolean()).isTrue();
        assertThat(sent.path("suffix").asText()).isEqualTo("v2");
        assertThat(sent.path("model_name").asText()).isEqualTo("Qwen/Qwen2.5-1.5B-Instruct");
        assertThat(out()).contains("Created task " + CLONE + " from " + ID + " (queued)");
    }

    @Test
    void cloneWithoutSetSendsAnEmptyObjectAndJsonIsTheServersAnswer() throws IOException {
        serve(201, task(CLONE, "queued", 1, 0));
        int code = run("finetune", "clone", ID, "--json");
        assertThat(code).isZero();
        assertThat(StudioJson.mapper().readTree(bodies.get(0)).size()).isZero();
        assertThat(StudioJson.mapper().readTree(out()).path("task_id").asText()).isEqualTo(CLONE);
    }

    @Test
    void cloneWithAMalformedSetIsAUsageError() throws IOException {
        serve(201, task(CLONE, "queued", 1, 0));
        int code = run("finetune", "clone", ID, "--set", "lora_r");
        assertThat(code).isEqualTo(2);
        assertThat(cliErr.toString()).contains("--set takes key=value");
        assertThat(requests).isEmpty();
    }

    @Test
    void aRefusedCloneShowsTheFieldTheServerNamed() throws IOException {
        serve(400, """
                {"error":{"code":"invalid_field","message":"lora_r must be between 1 and 512","details":[{"field":"lora_r","message":"lora_r must be between 1 and 512"}]}}""");
        int code = run("finetune", "clone", ID, "--set", "lora_r=0");
        assertThat(code).isEqualTo(1);
        assertThat(cliErr + stderr.toString(StandardCharsets.UTF_8)).contains("lora_r must be between 1 and 512");
    }

    @Test
    void retryWaitFollowsTheTaskToItsEndAndSaysWhereItResumes() throws IOException {
        serve(200, task(ID, "queued", 2, 4), task(ID, "training", 2, 6), task(ID, "completed", 2, 12));
        int code = run("finetune", "retry", ID, "--wait");
        assertThat(code).isZero();
        assertThat(requests.get(0)).isEqualTo("POST /api/finetune/tasks/" + ID + "/retry");
        assertThat(StudioJson.mapper()
                        .readTree(bodies.get(0))
                        .path("from_checkpoint")
                        .asBoolean())
                .isTrue();
        assertThat(out())
                .contains("Retrying task " + ID + " as attempt 2 (queued, resuming after step 4)")
                .contains(ID + " completed");
    }

    @Test
    void retryNoCheckpointStartsOverAndACancelledEndExits3() throws IOException {
        serve(200, task(ID, "queued", 3, 0), task(ID, "cancelled", 3, 2));
        int code = run("finetune", "retry", ID, "--no-checkpoint", "--wait");
        assertThat(code).isEqualTo(3);
        assertThat(StudioJson.mapper()
                        .readTree(bodies.get(0))
                        .path("from_checkpoint")
                        .asBoolean())
                .isFalse();
        assertThat(out()).contains("as attempt 3 (queued, from the start)");
    }

    @Test
    void pauseWaitWaitsUntilTheTrainerHasCheckpointedAndStopped() throws IOException {
        serve(200, task(ID, "training", 1, 6), task(ID, "training", 1, 7), task(ID, "paused", 1, 7));
        int code = run("finetune", "pause", ID, "--wait");
        assertThat(code).isZero();
        assertThat(requests.get(0)).isEqualTo("POST /api/finetune/tasks/" + ID + "/pause");
        assertThat(out())
                .contains("Pausing task " + ID + ": the trainer checkpoints and stops (training)")
                .contains(ID + " paused");
    }

    @Test
    void resumeWaitFollowsTheNextAttemptAndARetryThatEndsPausedExits4() throws IOException {
        serve(200, task(ID, "queued", 2, 7), task(ID, "training", 2, 9), task(ID, "completed", 2, 12));
        assertThat(run("finetune", "resume", ID, "--wait")).isZero();
        assertThat(requests.get(0)).isEqualTo("POST /api/finetune/tasks/" + ID + "/resume");
        assertThat(out())
                .contains("Resuming task " + ID + " as attempt 2 (queued, resuming after step 7)")
                .contains(ID + " completed");
        server.stop(0);

        serve(200, task(ID, "queued", 3, 0), task(ID, "paused", 3, 2));
        assertThat(run("finetune", "retry", ID, "--wait")).isEqualTo(SageCli.EXIT_PAUSED);
    }

    @Test
    void aRefusedResumeIsTheServersMessageAndExitCode1() throws IOException {
        serve(409, """
                {"error":{"code":"task_not_paused","message":"task %s is completed; only a paused task can be resumed"}}""".formatted(ID));
        assertThat(run("finetune", "resume", ID, "--json")).isEqualTo(1);
        assertThat(cliErr + stderr.toString(StandardCharsets.UTF_8)).contains("only a paused task can be resumed");
    }

    @Test
    void aRefusedRetryIsTheServersMessageAndExitCode1() throws IOException {
        serve(409, """
                {"error":{"code":"task_not_retryable","message":"task %s is completed; only a failed or cancelled task can be retried"}}""".formatted(ID));
        int code = run("finetune", "retry", ID, "--json");
        assertThat(code).isEqualTo(1);
        assertThat(cliErr + stderr.toString(StandardCharsets.UTF_8))
                .contains("only a failed or cancelled task can be retried");
    }

    @Test
    void showSaysTheAttemptsOfARetriedTaskAndTheSourceOfAClone() throws IOException {
        serve(200, "{}", """
                {"task_id":"%s","status":"training","attempt":2,"cloned_from":"%s","artifacts":{},"warnings":[],
                 "warning_details":[],"attempts":[
                   {"attempt":1,"outcome":"failed","error_code":"cuda_oom","error_message":"CUDA out of memory"},
                   {"attempt":2,"outcome":null}]}""".formatted(ID, CLONE));
        int code = run("finetune", "show", ID);
        assertThat(code).isZero();
        assertThat(out())
                .containsPattern("attempt +2")
                .containsPattern("cloned_from +" + CLONE)
                .containsPattern("attempt\\.1 +failed \\(cuda_oom: CUDA out of memory\\)")
                .containsPattern("attempt\\.2 +running");
    }
}
