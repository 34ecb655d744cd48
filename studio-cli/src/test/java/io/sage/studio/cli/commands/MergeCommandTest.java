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

/** {@code sage finetune merge}: the request it sends, its progress lines with {@code --wait}, its exit codes. */
class MergeCommandTest {

    private static final String ID = "ft-20260101-120000-ab12cd";

    @TempDir
    Path tmp;

    private HttpServer server;
    private final StringWriter cliErr = new StringWriter();
    private final List<String> requests = new CopyOnWriteArrayList<>();
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

    private static String task(String state, String phase, String artifacts) {
        return """
                {"task_id":"%s","status":"completed","phase":"%s","artifacts":{%s},
                 "merge_run":{"state":"%s","error_code":%s,"error_message":%s}}""".formatted(
                        ID,
                        phase,
                        artifacts,
                        state,
                        state.equals("failed") ? "\"internal\"" : "null",
                        state.equals("failed") ? "\"out of memory\"" : "null");
    }

    /** The merge answer, then each GET of the task answers the next of {@code states}, the last one repeatedly. */
    private void serve(int mergeStatus, String mergeBody, String... states) throws IOException {
        AtomicInteger reads = new AtomicInteger();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/finetune/tasks/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            String target = exchange.getRequestMethod() + " " + exchange.getRequestURI();
            requests.add(target);
            int status = 200;
            String body;
            if (target.startsWith("POST ")) {
                status = mergeStatus;
                body = mergeBody;
            } else {
                body = states[Math.min(reads.getAndIncrement(), states.length - 1)];
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
    void mergeWaitPrintsALinePerChangeAndTheMergedModelThenExits0() throws IOException {
        serve(
                202,
                task("queued", "done", "\"lora\":\"/h/lora\""),
                task("running", "merging", "\"lora\":\"/h/lora\""),
                task("running", "merging", "\"lora\":\"/h/lora\""),
                task("succeeded", "done", "\"lora\":\"/h/lora\",\"merged_model\":\"/h/merged_model\""));
        int code = run("finetune", "merge", ID, "--wait");
        assertThat(code).isZero();
        assertThat(requests.get(0)).isEqualTo("POST /api/finetune/tasks/" + ID + "/merge");
        assertThat(out())
                .contains("Merging task " + ID + " (queued)")
                .contains("merge running  phase merging")
                .contains(ID + " merge succeeded")
                .contains("merged_model: /h/merged_model");
        assertThat(out().lines().filter(l -> l.startsWith("merge running"))).hasSize(1);
    }

    @Test
    void aFailedMergeExits1WithItsReasonAndForceIsSent() throws IOException {
        serve(202, task("queued", "done", "\"lora\":\"/h/lora\""), task("failed", "done", "\"lora\":\"/h/lora\""));
        int code = run("finetune", "merge", ID, "--force", "--wait");
        assertThat(code).isEqualTo(1);
        assertThat(requests.get(0)).isEqualTo("POST /api/finetune/tasks/" + ID + "/merge?force=true");
        assertThat(out()).contains("merge failed: out of memory");
    }

    @Test
    void withoutWaitJsonIsTheServersAnswer() throws IOException {
        serve(202, task("queued", "done", "\"lora\":\"/h/lora\""));
        int code = run("finetune", "merge", ID, "--json");
        assertThat(code).isZero();
        JsonNode json = StudioJson.mapper().readTree(out());
        assertThat(json.at("/merge_run/state").asText()).isEqualTo("queued");
        assertThat(requests).hasSize(1);
    }

    @Test
    void aRefusedMergeIsTheServersMessageAndExitCode1() throws IOException {
        serve(409, """
                {"error":{"code":"already_merged","message":"task %s already has merged_model/; pass force=true to merge again"}}""".formatted(ID));
        int code = run("finetune", "merge", ID);
        assertThat(code).isEqualTo(1);
        assertThat(cliErr + stderr.toString(StandardCharsets.UTF_8)).contains("already has merged_model/");
    }
}
