package io.sage.studio.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;

import io.sage.studio.cli.CliEnvironment;
import io.sage.studio.cli.SageCli;
import io.sage.studio.events.StudioJson;
import picocli.CommandLine;

/**
 * {@code sage serve}, {@code unserve} and {@code rollout}: the requests they send, what {@code --wait} follows and
 * prints, their exit codes, {@code --json}, and the server's refusals - against a local stand-in of the chat-switch
 * endpoints that answers scripted bodies.
 */
class ServeRolloutCommandTest {

    private static final String TASK = "ft-20260101-120000-ab12cd";
    private static final String BASE = "Qwen/Qwen2.5-0.5B-Instruct";

    @TempDir
    Path tmp;

    private HttpServer server;
    private final Map<String, List<Answer>> script = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> reads = new ConcurrentHashMap<>();
    private final StringWriter cliErr = new StringWriter();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private PrintStream originalOut;
    private PrintStream originalErr;

    private record Answer(int status, String body) {}

    @BeforeEach
    void start() throws IOException {
        originalOut = System.out;
        originalErr = System.err;
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            String sent = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String target = exchange.getRequestMethod() + " " + exchange.getRequestURI();
            requests.add(target);
            bodies.add(sent);
            List<Answer> answers = script.get(target);
            Answer answer = answers == null
                    ? new Answer(404, "{\"error\":{\"code\":\"not_found\",\"message\":\"nothing at " + target + "\"}}")
                    : answers.get(Math.min(
                            reads.computeIfAbsent(target, t -> new AtomicInteger())
                                    .getAndIncrement(),
                            answers.size() - 1));
            byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(answer.status(), bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        System.setOut(originalOut);
        System.setErr(originalErr);
        server.stop(0);
    }

    /** {@code target} answers {@code status} with each body in turn, the last one repeatedly. */
    private void on(String target, int status, String... answers) {
        List<Answer> list = new ArrayList<>();
        for (String body : answers) {
            list.add(new Answer(status, body));
        }
        script.put(target, list);
    }

    private int run(String... args) throws IOException {
        Map<String, String> env = new HashMap<>();
        env.put("STUDIO_HOME", tmp.resolve("home").toString());
        for (String variable : List.of("STUDIO_GATEWAY_PORT", "STUDIO_FINETUNE_PORT", "STUDIO_CHAT_PORT")) {
            try (ServerSocket socket = new ServerSocket(0)) {
                env.put(variable, Integer.toString(socket.getLocalPort()));
            }
        }
        CommandLine cli = SageCli.commandLine(new CliEnvironment(env, tmp));
        cli.setErr(new PrintWriter(cliErr, true));
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--url";
        all[args.length + 1] = "http://127.0.0.1:" + server.getAddress().getPort();
        return cli.execute(all);
    }

    private String out() {
        return stdout.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return cliErr + stderr.toString(StandardCharsets.UTF_8);
    }

    private static String serving(String state) {
        return """
                {"engines":[{"id":"engine-1","base_model":"%s","url":"http://127.0.0.1:8002","state":"ready",
                  "max_loras":4,"max_lora_rank":64,"adapters":[{"name":"%s","path":"/h/%s/lora"}]}],
                 "models":[{"model":"%s","display_name":"%s","engine":"engine-1","kind":"base","state":"ready",
                   "default":true,"rollout":null,"traffic":{"requests":3,"errors":0,"ttft_p50_ms":80,"ttft_p95_ms":95}},
                  {"model":"%s","display_name":"%s/lora","engine":"engine-1","kind":"lora","state":"%s",
                   "default":false,"rollout":null,"traffic":null}],
                 "default":"%s"}""".formatted(BASE, TASK, TASK, BASE, BASE, TASK, TASK, state, BASE);
    }

    private static String rollout(String state, double weight, String... events) {
        return """
                {"rollout_id":"ro-1","model":"%s","baseline":"%s","state":"%s","weight":%s,"step":0,
                 "steps":[10,50,100],"step_seconds":60,
                 "guards":{"max_error_rate":0.02,"max_ttft_ratio":1.5,"min_requests":20},
                 "arms":{"baseline":{"model":"%s","requests":180,"errors":0,"error_rate":0.0,"ttft_p50_ms":90,"ttft_p95_ms":120},
                         "candidate":{"model":"%s","requests":21,"errors":0,"error_rate":0.0,"ttft_p50_ms":95,"ttft_p95_ms":130}},
                 "history":[%s],"reason":%s,"created_at":"2026-01-01T12:00:00Z","finished_at":null}""".formatted(
                        TASK,
                        BASE,
                        state,
                        weight,
                        BASE,
                        TASK,
                        String.join(",", events),
                        state.equals("rolled_back") ? "\"candidate error rate 0.50 > baseline 0.00 + 0.02\"" : "null");
    }

    private static String event(String at, String event, double weight) {
        return """
                {"at":"2026-01-01T%sZ","weight":%s,"event":"%s","message":"%s at %s%%",
                 "baseline":{"model":"%s","requests":180,"errors":0,"error_rate":0.0,"ttft_p50_ms":90,"ttft_p95_ms":120},
                 "candidate":{"model":"%s","requests":21,"errors":0,"error_rate":0.0,"ttft_p50_ms":95,"ttft_p95_ms":130}}""".formatted(at, weight, event, event, weight, BASE, TASK);
    }

    @Test
    void serveWaitSendsTheModelAndFollowsTheServingSetUntilReady() throws IOException {
        on("POST /api/chat/serving", 202, """
                {"model":"%s","display_name":"%s/lora","engine":"engine-1","state":"loading","operation_id":"op-1"}""".formatted(TASK, TASK));
        on("GET /api/chat/serving", 200, serving("loading"), serving("loading"), serving("ready"));
        int code = run("serve", TASK, "--wait");
        assertThat(code).isZero();
        assertThat(requests.get(0)).isEqualTo("POST /api/chat/serving");
        assertThat(StudioJson.mapper().readTree(bodies.get(0)).path("model").asText())
                .isEqualTo(TASK);
        assertThat(out())
                .contains("Loading " + TASK + " (" + TASK + "/lora) on engine engine-1 (operation op-1)")
                .contains("✅ " + TASK + " ready on engine engine-1; send \"model\": \"" + TASK + "\"");
        assertThat(requests.stream().filter(r -> r.equals("GET /api/chat/serving")))
                .hasSize(3);
    }

    @Test
    void serveWaitExits1WithTheOperationsErrorWhenLoadingFails() throws IOException {
        on("POST /api/chat/serving", 202, """
                {"model":"%s","display_name":"%s/lora","engine":"engine-1","state":"loading","operation_id":"op-1"}""".formatted(TASK, TASK));
        on("GET /api/chat/serving", 200, serving("loading"), serving("failed"));
        on("GET /api/chat/switch/op-1", 200, """
                {"id":"op-1","state":"failed","strategy":"lora-hot-load","error":"the engine refused the adapter: rank 1024 above 512","rolled_back":true}""");
        int code = run("serve", TASK, "--wait");
        assertThat(code).isEqualTo(1);
        assertThat(out()).contains("❌ " + TASK + " failed: the engine refused the adapter: rank 1024 above 512");
    }

    @Test
    void aModelServedAlreadyIsSaidAndNotWaitedFor() throws IOException {
        on("POST /api/chat/serving", 200, """
                {"model":"%s","display_name":"%s/lora","engine":"engine-1","state":"ready","operation_id":null}""".formatted(TASK, TASK));
        int code = run("serve", TASK, "--wait", "--json");
        assertThat(code).isZero();
        assertThat(requests).containsExactly("POST /api/chat/serving");
        assertThat(StudioJson.mapper().readTree(out()).path("state").asText()).isEqualTo("ready");
        assertThat(err()).contains(TASK + " (" + TASK + "/lora) is served on engine engine-1");
    }

    @Test
    void aServeWithoutCapacityIsTheServersMessageAndExit1() throws IOException {
        on("POST /api/chat/serving", 409, """
                {"error":{"code":"no_capacity","message":"no GPU has room for Qwen/Qwen2.5-7B-Instruct","details":["needs 17.2 GiB","free 6.0 GiB on gpu 0"]}}""");
        int code = run("serve", "Qwen/Qwen2.5-7B-Instruct");
        assertThat(code).isEqualTo(1);
        assertThat(err())
                .contains("no GPU has room for Qwen/Qwen2.5-7B-Instruct")
                .contains("needs 17.2 GiB");
    }

    @Test
    void unserveDeletesTheModelByItsEncodedName() throws IOException {
        on("DELETE /api/chat/serving/Qwen%2FQwen2.5-1.5B-Instruct", 200, """
                {"model":"Qwen/Qwen2.5-1.5B-Instruct","state":"unloaded","engine_stopped":true}""");
        int code = run("unserve", "Qwen/Qwen2.5-1.5B-Instruct");
        assertThat(code).isZero();
        assertThat(out()).contains("Unloaded Qwen/Qwen2.5-1.5B-Instruct; its engine stopped");
    }

    @Test
    void unservingTheDefaultIsRefusedWithExit1() throws IOException {
        on("DELETE /api/chat/serving/" + TASK, 409, """
                {"error":{"code":"model_is_default","message":"%s is the default model; switch or roll out another first"}}""".formatted(TASK));
        int code = run("unserve", TASK);
        assertThat(code).isEqualTo(1);
        assertThat(err()).contains("is the default model");
    }

    @Test
    void rolloutStartSendsStepsDurationAndGuards() throws IOException {
        on("POST /api/chat/rollouts", 202, rollout("running", 10, event("12:00:00", "started", 10)));
        int code = run("rollout", "start", TASK, "--steps", "5,25,100", "--every", "1m30s", "--max-error-rate", "0.05");
        assertThat(code).isZero();
        JsonNode sent = StudioJson.mapper().readTree(bodies.get(0));
        assertThat(sent.path("model").asText()).isEqualTo(TASK);
        assertThat(sent.path("steps").toString()).isEqualTo("[5,25,100]");
        assertThat(sent.path("step_seconds").asLong()).isEqualTo(90);
        assertThat(sent.path("max_error_rate").asDouble()).isEqualTo(0.05);
        assertThat(sent.path("max_ttft_ratio").asDouble()).isEqualTo(1.5);
        assertThat(sent.path("min_requests").asInt()).isEqualTo(20);
        // without the flags the server's studio.chat.require-evaluation decides
        assertThat(sent.has("require_evaluation")).isFalse();
        assertThat(sent.has("force")).isFalse();
        assertThat(out())
                .contains("Rollout ro-1 running: " + TASK + " against " + BASE + ", steps 10% → 50% → 100% "
                        + "every 60s");
    }

    @Test
    void rolloutStartWaitPrintsEachEventOnceAndExits0WhenPromoted() throws IOException {
        String started = event("12:00:00", "started", 10);
        String advanced = event("12:01:00", "advanced", 50);
        on("POST /api/chat/rollouts", 202, rollout("running", 10, started));
        on(
                "GET /api/chat/rollouts/ro-1",
                200,
                rollout("running", 10, started),
                rollout("running", 50, started, advanced),
                rollout("promoted", 100, started, advanced, event("12:02:00", "promoted", 100)));
        int code = run("rollout", "start", TASK, "--wait");
        assertThat(code).isZero();
        assertThat(out().lines().filter(l -> l.contains("12:00:00  started"))).hasSize(1);
        assertThat(out().lines().filter(l -> l.contains("12:01:00  advanced      50%")))
                .hasSize(1);
        assertThat(out())
                .contains("candidate 21 req 0 err p95 130 ms · baseline 180 req 0 err p95 120 ms")
                .contains("✅ Rollout ro-1 promoted: " + TASK + " is the default now");
    }

    @Test
    void aRolledBackRolloutExits1WithTheReason() throws IOException {
        String started = event("12:00:00", "started", 10);
        on("POST /api/chat/rollouts", 202, rollout("running", 10, started));
        on("GET /api/chat/rollouts/ro-1", 200, rollout("rolled_back", 0, started, event("12:00:20", "rolled_back", 0)));
        int code = run("rollout", "start", TASK, "--wait", "--json");
        assertThat(code).isEqualTo(1);
        assertThat(StudioJson.mapper().readTree(out()).path("state").asText()).isEqualTo("rolled_back");
        assertThat(err())
                .contains("❌ Rollout ro-1 rolled back: all traffic on " + BASE
                        + " (candidate error rate 0.50 > baseline 0.00 + 0.02)");
    }

    @Test
    void theEvaluationGateIsSentOnlyWhenAskedAndItsRefusalIsTheServersMessage() throws IOException {
        on("POST /api/chat/rollouts", 409, """
                {"error":{"code":"evaluation_worse","message":"the latest evaluation of %s is worse than base"}}""".formatted(TASK));
        assertThat(run("rollout", "start", TASK, "--require-evaluation")).isEqualTo(1);
        assertThat(err()).contains("is worse than base");
        JsonNode refused = StudioJson.mapper().readTree(bodies.get(0));
        assertThat(refused.path("require_evaluation").asBoolean()).isTrue();
        assertThat(refused.has("force")).isFalse();

        on("POST /api/chat/rollouts", 202, rollout("running", 10, event("12:00:00", "started", 10)));
        assertThat(run("rollout", "start", TASK, "--require-evaluation", "--force"))
                .isZero();
        assertThat(StudioJson.mapper().readTree(bodies.get(1)).path("force").asBoolean())
                .isTrue();

        on("GET /api/finetune/tasks/" + TASK, 200, "{\"task_id\":\"" + TASK + "\",\"status\":\"completed\"}");
        on("POST /api/chat/switch", 202, "{\"id\":\"op-1\",\"state\":\"pending\",\"strategy\":\"blue-green\"}");
        assertThat(run("switch", TASK, "--force")).isZero();
        JsonNode switched = StudioJson.mapper().readTree(bodies.get(bodies.size() - 1));
        assertThat(switched.path("task_id").asText()).isEqualTo(TASK);
        assertThat(switched.path("force").asBoolean()).isTrue();
        assertThat(switched.has("require_evaluation")).isFalse();
    }

    @Test
    void anUnreadableDurationIsAUsageErrorAndSendsNothing() throws IOException {
        int code = run("rollout", "start", TASK, "--every", "5x");
        assertThat(code).isEqualTo(2);
        assertThat(cliErr.toString()).contains("'5x' is not a duration");
        assertThat(requests).isEmpty();
    }

    @Test
    void abortSaysWhereTrafficWentAndPromotingAFinishedRolloutIsRefused() throws IOException {
        on("POST /api/chat/rollouts/ro-1/abort", 200, rollout("aborted", 0));
        on("POST /api/chat/rollouts/ro-2/promote", 409, """
                {"error":{"code":"rollout_finished","message":"rollout ro-2 has ended (rolled_back)"}}""");
        assertThat(run("rollout", "abort", "ro-1")).isZero();
        assertThat(out()).contains("⊘ Rollout ro-1 aborted: all traffic on " + BASE);
        assertThat(run("rollout", "promote", "ro-2")).isEqualTo(1);
        assertThat(err()).contains("rollout ro-2 has ended (rolled_back)");
    }

    @Test
    void statusWithoutIdListsTheRecentRollouts() throws IOException {
        on("GET /api/chat/rollouts?limit=20", 200, "[" + rollout("running", 50) + "]");
        int code = run("rollout", "status");
        assertThat(code).isZero();
        assertThat(out()).contains("ro-1").contains("running").contains("50%");
    }
}
