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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;

import io.sage.studio.events.StudioJson;

/**
 * {@code sage webhooks add|list|enable|disable|rm|deliveries} and {@code sage audit}: the requests they send (bodies, encoded query
 * strings), what they print (the secret once, disabled reasons, delivery errors), {@code --json}, and the server's
 * refusals - against a local stand-in of the finetune-service's {@code /api/webhooks} and {@code /api/audit}.
 */
class WebhooksAuditCommandTest {

    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    @TempDir
    Path tmp;

    private HttpServer server;
    private final Map<String, String[]> script = new ConcurrentHashMap<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final StringWriter cliErr = new StringWriter();
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private PrintStream originalOut;

    @BeforeEach
    void start() throws IOException {
        originalOut = System.out;
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            String target = exchange.getRequestMethod() + " " + exchange.getRequestURI();
            requests.add(target);
            bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            String[] answer = script.getOrDefault(target, new String[] {
                "404", "{\"error\":{\"code\":\"not_found\",\"message\":\"nothing at " + target + "\"}}"
            });
            int status = Integer.parseInt(answer[0]);
            byte[] bytes = answer[1].getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, status == 204 ? -1 : bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                if (status != 204) {
                    out.write(bytes);
                }
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        System.setOut(originalOut);
        server.stop(0);
    }

    private void on(String target, int status, String body) {
        script.put(target, new String[] {Integer.toString(status), body});
    }

    private int run(String... args) throws IOException {
        return TestCli.run(tmp, cliErr, server.getAddress().getPort(), args);
    }

    private String out() {
        return stdout.toString(StandardCharsets.UTF_8);
    }

    private static String created(String secret) {
        return """
                {"id":"wh-1","url":"https://ci.example.com/hook","events":["task.completed","switch.*"],
                 "description":"CI","enabled":true,"created_at":"2026-01-01T12:00:00Z","created_by":"alice",
                 "secret":"%s"}""".formatted(secret);
    }

    @Test
    void addSendsUrlEventsAndDescriptionAndPrintsTheGeneratedSecretOnce() throws IOException {
        on("POST /api/webhooks", 201, created(SECRET));
        int code = run(
                "webhooks",
                "add",
                "https://ci.example.com/hook",
                "--events",
                "task.completed, switch.*",
                "--description",
                "CI");
        assertThat(code).isZero();
        JsonNode sent = StudioJson.mapper().readTree(bodies.get(0));
        assertThat(sent.path("url").asText()).isEqualTo("https://ci.example.com/hook");
        assertThat(sent.path("events").toString()).isEqualTo("[\"task.completed\",\"switch.*\"]");
        assertThat(sent.path("description").asText()).isEqualTo("CI");
        // no --secret: none is sent, so that the service generates one
        assertThat(sent.has("secret")).isFalse();
        assertThat(out())
                .contains("Added webhook wh-1 → https://ci.example.com/hook")
                .contains("events  task.completed, switch.*")
                .contains("secret  " + SECRET)
                .contains("it is not shown again");
        assertThat(out().split(SECRET, -1)).hasSize(2);
    }

    @Test
    void addWithItsOwnSecretSendsItAndDoesNotEchoIt() throws IOException {
        on("POST /api/webhooks", 201, created("my-own-secret-value"));
        int code = run(
                "webhooks", "add", "https://ci.example.com/hook", "--events", "*", "--secret", "my-own-secret-value");
        assertThat(code).isZero();
        assertThat(StudioJson.mapper().readTree(bodies.get(0)).path("secret").asText())
                .isEqualTo("my-own-secret-value");
        assertThat(out()).doesNotContain("my-own-secret-value").contains("the one given with --secret");
    }

    @Test
    void aRefusedUrlIsTheServersMessageNamingTheFieldAndExit1() throws IOException {
        on("POST /api/webhooks", 400, """
                {"error":{"code":"invalid_field","message":"url: 169.254.169.254 is a link-local address",
                 "details":[{"field":"url"}]}}""");
        int code = run("webhooks", "add", "http://169.254.169.254/latest", "--events", "task.*");
        assertThat(code).isEqualTo(1);
        assertThat(cliErr.toString()).contains("error: url: 169.254.169.254 is a link-local address");
    }

    @Test
    void addWithoutEventsIsAUsageError() throws IOException {
        int code = run("webhooks", "add", "https://ci.example.com/hook");
        assertThat(code).isEqualTo(2);
        assertThat(cliErr.toString()).contains("--events");
        assertThat(requests).isEmpty();
    }

    @Test
    void listPrintsStateLastDeliveryAndWhyAWebhookWasDisabled() throws IOException {
        on("GET /api/webhooks", 200, """
                {"webhooks":[
                 {"id":"wh-1","url":"https://ci.example.com/hook","events":["task.completed"],"description":null,
                  "enabled":true,"disabled_reason":null,"created_at":"2026-01-01T12:00:00Z","created_by":"alice",
                  "last_delivery_at":"2026-01-01T12:30:00Z","last_status":200,"failures":0},
                 {"id":"wh-2","url":"https://down.example.com/x","events":["*"],"description":null,
                  "enabled":false,"disabled_reason":"20 consecutive failed deliveries (last: HTTP 503)",
                  "created_at":"2026-01-01T12:00:00Z","created_by":"alice",
                  "last_delivery_at":null,"last_status":null,"failures":20}]}""");
        int code = run("webhooks", "list");
        assertThat(code).isZero();
        List<String> lines = out().lines().toList();
        assertThat(lines.get(0)).startsWith("ID").contains("URL", "EVENTS", "STATE", "LAST DELIVERY", "FAILURES");
        assertThat(lines.get(1))
                .startsWith("wh-1")
                .contains("task.completed", "enabled", "200 2026-01-01T12:30:00Z")
                .endsWith(" 0");
        assertThat(lines.get(2))
                .startsWith("wh-2")
                .contains("disabled", "never")
                .endsWith(" 20");
        assertThat(lines.get(3)).isEqualTo("  disabled: 20 consecutive failed deliveries (last: HTTP 503)");
    }

    @Test
    void listWithNothingSaysHowToAddAndJsonIsTheAnswerAsItCame() throws IOException {
        on("GET /api/webhooks", 200, "{\"webhooks\":[],\"extra\":1}");
        assertThat(run("webhooks", "list")).isZero();
        assertThat(out()).contains("No webhooks; add one with: sage webhooks add URL --events task.completed");
        stdout.reset();
        assertThat(run("webhooks", "list", "--json")).isZero();
        assertThat(StudioJson.mapper().readTree(out()).path("extra").asInt()).isEqualTo(1);
    }

    @Test
    void enableAndDisablePatchTheWebhookAndPrintItsState() throws IOException {
        server.createContext("/api/webhooks/wh-2", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
            bodies.add(body);
            boolean on = StudioJson.mapper().readTree(body).path("enabled").asBoolean();
            byte[] answer = """
                    {"id":"wh-2","url":"https://down.example.com/x","events":["*"],"enabled":%s,
                     "disabled_reason":%s,"created_at":"2026-01-01T12:00:00Z","failures":0}""".formatted(on, on ? "null" : "\"disabled by alice at 2026-01-01T13:00:00Z\"")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        });
        assertThat(run("webhooks", "enable", "wh-2")).isZero();
        assertThat(out())
                .contains("Enabled webhook wh-2 → https://down.example.com/x")
                .doesNotContain("disabled:");
        stdout.reset();
        assertThat(run("webhooks", "disable", "wh-2")).isZero();
        assertThat(out())
                .contains("Disabled webhook wh-2")
                .contains("  disabled: disabled by alice at 2026-01-01T13:00:00Z");
        assertThat(requests).containsExactly("PATCH /api/webhooks/wh-2", "PATCH /api/webhooks/wh-2");
        assertThat(StudioJson.mapper().readTree(bodies.get(0)))
                .isEqualTo(StudioJson.mapper().readTree("{\"enabled\":true}"));
        assertThat(StudioJson.mapper().readTree(bodies.get(1)))
                .isEqualTo(StudioJson.mapper().readTree("{\"enabled\":false}"));

        on("PATCH /api/webhooks/wh-9", 404, """
                {"error":{"code":"webhook_not_found","message":"no webhook wh-9"}}""");
        assertThat(run("webhooks", "enable", "wh-9")).isEqualTo(1);
        assertThat(cliErr.toString()).contains("error: no webhook wh-9");
    }

    @Test
    void rmDeletesByEncodedIdAndAnUnknownIdIsExit1() throws IOException {
        on("DELETE /api/webhooks/wh-1", 204, "");
        assertThat(run("webhooks", "rm", "wh-1")).isZero();
        assertThat(out()).contains("Deleted webhook wh-1");
        on("DELETE /api/webhooks/wh%2F9", 404, """
                {"error":{"code":"webhook_not_found","message":"no webhook wh/9"}}""");
        assertThat(run("webhooks", "rm", "wh/9")).isEqualTo(1);
        assertThat(cliErr.toString()).contains("error: no webhook wh/9");
        assertThat(requests).containsExactly("DELETE /api/webhooks/wh-1", "DELETE /api/webhooks/wh%2F9");
    }

    @Test
    void deliveriesPrintEachAttemptWithItsErrorAndAskForTheLimit() throws IOException {
        on("GET /api/webhooks/wh-1/deliveries?limit=5", 200, """
                {"deliveries":[
                 {"id":"msg_2","event":"task.completed","attempt":2,"state":"failed","status":500,"error":"HTTP 500",
                  "next_attempt_at":"2026-01-01T12:35:00Z","created_at":"2026-01-01T12:30:00Z","delivered_at":null},
                 {"id":"msg_1","event":"switch.succeeded","attempt":1,"state":"delivered","status":200,"error":null,
                  "next_attempt_at":null,"created_at":"2026-01-01T12:00:00Z","delivered_at":"2026-01-01T12:00:01Z"}]}""");
        int code = run("webhooks", "deliveries", "wh-1", "--limit", "5");
        assertThat(code).isZero();
        List<String> lines = out().lines().toList();
        assertThat(lines.get(0)).startsWith("CREATED").contains("EVENT", "ATTEMPT", "STATE", "HTTP", "NEXT", "ID");
        assertThat(lines.get(1))
                .contains("task.completed", " 2 ", "failed", "500", "2026-01-01T12:35:00Z")
                .endsWith("msg_2");
        assertThat(lines.get(2)).isEqualTo("  error: HTTP 500");
        assertThat(lines.get(3))
                .contains("switch.succeeded", "delivered", "200")
                .endsWith("msg_1");
        assertThat(lines).hasSize(4);
    }

    @Test
    void auditSendsTheFiltersEncodedAndPrintsTheTable() throws IOException {
        String path = "GET /api/audit?since=2026-12-06T10%3A00%3A00Z&actor=alice+smith&action=switch.start&limit=5";
        on(path, 200, """
                {"entries":[
                 {"id":"au-2","at":"2026-12-06T10:01:00Z","service":"chat-switch-service","actor":"alice smith",
                  "role":"admin","action":"switch.start","method":"POST","path":"/api/chat/switch","target":"ft-1",
                  "status":202,"outcome":"ok","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"},
                 {"id":"au-1","at":"2026-12-06T10:00:30Z","service":"finetune-service","actor":"bob",
                  "role":"viewer","action":"task.cancel","method":"POST","path":"/api/finetune/tasks/ft-1/cancel",
                  "target":"ft-1","status":403,"outcome":"refused","trace_id":null}]}""");
        int code = run(
                "audit",
                "--since",
                "2026-12-06T11:00:00+01:00",
                "--actor",
                "alice smith",
                "--action",
                "switch.start",
                "--limit",
                "5");
        assertThat(code).isZero();
        assertThat(requests).containsExactly(path);
        List<String> lines = out().lines().toList();
        assertThat(lines.get(0)).startsWith("TIME").contains("ACTOR", "ROLE", "ACTION", "TARGET", "OUTCOME", "STATUS");
        assertThat(lines.get(1))
                .contains("alice smith", "admin", "switch.start", "ft-1", "ok", "202")
                .endsWith("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(lines.get(2)).contains("bob", "viewer", "task.cancel", "refused", "403");
    }

    @Test
    void auditWithoutFiltersAsksTheDefaultLimitAndADateMeansItsStartInUtc() throws IOException {
        on("GET /api/audit?limit=50", 200, "{\"entries\":[]}");
        assertThat(run("audit")).isZero();
        assertThat(out()).contains("No audit entries match.");
        on("GET /api/audit?since=2026-12-06T00%3A00%3A00Z&limit=50", 200, "{\"entries\":[]}");
        assertThat(run("audit", "--since", "2026-12-06", "--json")).isZero();
        assertThat(requests)
                .containsExactly("GET /api/audit?limit=50", "GET /api/audit?since=2026-12-06T00%3A00%3A00Z&limit=50");
    }

    @Test
    void auditWithABadSinceIsAUsageErrorAndAViewerIsRefusedByTheServer() throws IOException {
        assertThat(run("audit", "--since", "yesterday")).isEqualTo(2);
        assertThat(cliErr.toString()).contains("'yesterday' is not a time");
        assertThat(requests).isEmpty();
        on("GET /api/audit?limit=50", 403, """
                {"error":{"code":"forbidden","message":"GET /api/audit needs the admin role (you are viewer)"}}""");
        assertThat(run("audit")).isEqualTo(1);
        assertThat(cliErr.toString()).contains("error: GET /api/audit needs the admin role (you are viewer)");
    }
}
