package io.sage.studio.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.events.StudioJson;

/**
 * Serving several fine-tunes side by side and rolling one out gradually, on the packaged studio with the stand-in
 * trainer and vLLM (which keeps vLLM's rules): two LoRA fine-tunes of one base answer by name through the gateway at
 * the same time; under constant {@code sage-chat} traffic with random users, a canary 10 → 50 → 100 promotes itself;
 * a canary whose engine fails half its generations (fake-vllm's test-only {@code /_fake/faults}) is rolled back in
 * its first step, and the default keeps answering. The tests run in order on one studio: each leaves the serving set
 * the next one starts from.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RolloutIT {

    private static Path root;
    private static Studio studio;
    private static StudioApi api;
    private static String first;
    private static String second;
    private static String firstName;
    private static String secondName;
    /** The served name of the studio's initial default model. */
    private static String baseName;

    private Load load;

    @BeforeAll
    static void start() throws IOException {
        root = Files.createTempDirectory("sage-rollout-it");
        studio = new Studio(root.resolve("home"));
        studio.env.put("STUDIO_CHAT_INITIAL_MODEL", StudioApi.BASE_MODEL);
        studio.env.put("FAKE_TRAINER_STEP_DELAY", "0.02");
        Studio.Run start = studio.sage("studio", "start");
        assertThat(start.exitCode()).as(start.output()).isZero();
        api = new StudioApi(studio);
        api.awaitRouteActive();
        String dataset = api.dataset(10);
        first = api.startTask(dataset, 1, false);
        second = api.startTask(dataset, 1, false);
        for (String task : List.of(first, second)) {
            JsonNode done = api.awaitTask(task, Duration.ofMinutes(3), List.of("completed", "failed", "cancelled"));
            assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("completed");
        }
        baseName = serving().path("default").asText();
        assertThat(baseName).as(serving().toString()).isNotBlank();
    }

    @AfterEach
    void stopLoad() {
        if (load != null) {
            load.close();
        }
    }

    @AfterAll
    static void stop() {
        if (studio != null) {
            studio.close();
        }
    }

    @Test
    @Order(1)
    void twoFineTunesAnswerByNameAtTheSameTime() {
        // One after the other: a second serve while the first loads is 409 switch_in_progress (one engine change at
        // a time).
        for (String task : List.of(first, second)) {
            StudioApi.Answer served = api.post(studio.chatPort, "/api/chat/serving", "{\"model\":\"" + task + "\"}");
            assertThat(served.status()).as(served.body().toString()).isIn(200, 202);
            await().atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() ->
                            assertThat(servedModel(task).path("state").asText()).isEqualTo("ready"));
        }
        firstName = servedModel(first).path("model").asText();
        secondName = servedModel(second).path("model").asText();
        assertThat(firstName).isNotEqualTo(secondName);
        assertThat(baseName).isNotIn(firstName, secondName);

        // Both names at once, interleaved, from several threads: each answer comes from the adapter asked for.
        List<CompletableFuture<String[]>> answers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String name = i % 2 == 0 ? firstName : secondName;
            answers.add(CompletableFuture.supplyAsync(() -> new String[] {name, answeredBy(chat(name, null))}));
        }
        for (CompletableFuture<String[]> answer : answers) {
            String[] asked = answer.join();
            assertThat(asked[1]).as("answer to a request for " + asked[0]).isEqualTo(asked[0]);
        }
        // sage-chat still reaches the default.
        assertThat(answeredBy(chat("sage-chat", null))).isEqualTo(baseName);

        List<String> listed = new ArrayList<>();
        api.get(studio.gatewayPort, "/v1/models")
                .body()
                .path("data")
                .forEach(m -> listed.add(m.path("id").asText()));
        assertThat(listed).contains("sage-chat", baseName, firstName, secondName);
    }

    @Test
    @Order(2)
    void aCanaryTenFiftyHundredPromotesItself() {
        load = new Load();
        awaitAnswers(baseName, 40);
        JsonNode rollout = startRollout(firstName, 3, 3.0);
        assertThat(rollout.path("state").asText()).as(rollout.toString()).isEqualTo("running");
        assertThat(rollout.path("baseline").asText()).isEqualTo(baseName);

        JsonNode done = awaitFinished(rollout.path("rollout_id").asText(), Duration.ofMinutes(2));
        assertThat(done.path("state").asText()).as(done.toString()).isEqualTo("promoted");
        assertThat(events(done)).as(done.toString()).startsWith("started").endsWith("promoted");
        assertThat(weights(done, "advanced")).as(done.toString()).containsExactly(10, 50);
        assertThat(weights(done, "promoted")).as(done.toString()).containsExactly(100);
        assertThat(done.path("arms").path("candidate").path("errors").asLong()).isZero();

        // The candidate is the default now: sage-chat reaches it, the old default still answers by name.
        assertThat(serving().path("default").asText()).isEqualTo(firstName);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() ->
                        assertThat(answeredBy(chat("sage-chat", "someone"))).isEqualTo(firstName));
        assertThat(answeredBy(chat(baseName, null))).isEqualTo(baseName);
        // Every request of the load was answered, by one of the two arms, while the weights moved.
        assertThat(load.failures()).as("failed requests during the rollout").isEmpty();
        assertThat(load.answeredBy()).contains(firstName, baseName);
    }

    @Test
    @Order(3)
    void aCanaryFailingHalfItsRequestsIsRolledBackInItsFirstStep() throws IOException {
        JsonNode engine = engineOf(secondName);
        String faults = engine.path("url").asText().replaceAll("/+$", "") + "/_fake/faults";
        String key = Files.readString(studio.home.resolve("studio/chat/engine-api-key"))
                .strip();
        assertThat(engineCall("POST", faults, key, "{\"model\":\"" + secondName + "\",\"fail_ratio\":0.5,\"seed\":1}"))
                .as("fault knob on " + faults)
                .isEqualTo(200);
        try {
            load = new Load();
            awaitAnswers(firstName, 40);
            JsonNode rollout = startRollout(secondName, 20, 1.5);
            JsonNode done = awaitFinished(rollout.path("rollout_id").asText(), Duration.ofMinutes(2));

            assertThat(done.path("state").asText()).as(done.toString()).isEqualTo("rolled_back");
            // Rolled back within one step: the weight never went beyond its first step, 10 %.
            assertThat(events(done)).as(done.toString()).endsWith("rolled_back").doesNotContain("promoted");
            assertThat(weights(done, "advanced")).as(done.toString()).containsExactly(10);
            assertThat(done.path("weight").asInt()).isZero();
            assertThat(done.path("reason").asText()).isNotBlank();
            assertThat(done.path("arms").path("candidate").path("errors").asLong())
                    .isPositive();

            // All traffic is back on the default, which never failed, and the candidate still answers by name.
            assertThat(serving().path("default").asText()).isEqualTo(firstName);
            JsonNode candidate = servedModel(second);
            assertThat(candidate.path("rollout").isNull()
                            || candidate.path("rollout").isMissingNode())
                    .as(candidate.toString())
                    .isTrue();
            long failedBefore = load.failures().size();
            assertThat(failedBefore)
                    .as("requests lost to the failing candidate")
                    .isPositive();
            await().during(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(answeredBy(chat(
                                    "sage-chat",
                                    "user-" + ThreadLocalRandom.current().nextInt())))
                            .isEqualTo(firstName));
            // What failed is the candidate's injected 500s, nothing else (no 502/503 from the gateway's switching).
            assertThat(load.failures().stream().filter(f -> !f.startsWith("500 ")))
                    .as("failures other than the candidate's 500s")
                    .isEmpty();
        } finally {
            engineCall("DELETE", faults, key, null);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static JsonNode serving() {
        StudioApi.Answer answer = api.get(studio.chatPort, "/api/chat/serving");
        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(200);
        return answer.body();
    }

    /** The serving set's entry of a task's adapter (its served name or display name carries the task id). */
    private static JsonNode servedModel(String task) {
        for (JsonNode model : serving().path("models")) {
            if (model.path("display_name").asText().contains(task)
                    || model.path("model").asText().contains(task)) {
                return model;
            }
        }
        throw new AssertionError("not in the serving set: " + task + " " + serving());
    }

    private static JsonNode engineOf(String servedName) {
        JsonNode view = serving();
        String engineId = null;
        for (JsonNode model : view.path("models")) {
            if (model.path("model").asText().equals(servedName)) {
                engineId = model.path("engine").asText();
            }
        }
        for (JsonNode engine : view.path("engines")) {
            if (engine.path("id").asText().equals(engineId)) {
                return engine;
            }
        }
        throw new AssertionError("no engine serves " + servedName + ": " + view);
    }

    private static List<String> events(JsonNode rollout) {
        List<String> events = new ArrayList<>();
        rollout.path("history").forEach(h -> events.add(h.path("event").asText()));
        return events;
    }

    /** The weights of the rollout's history entries of one kind, in order. */
    private static List<Integer> weights(JsonNode rollout, String event) {
        List<Integer> weights = new ArrayList<>();
        rollout.path("history").forEach(h -> {
            if (h.path("event").asText().equals(event)) {
                weights.add(h.path("weight").asInt());
            }
        });
        return weights;
    }

    private static JsonNode startRollout(String model, int stepSeconds, double maxTtftRatio) {
        StudioApi.Answer started = api.post(
                studio.chatPort,
                "/api/chat/rollouts",
                "{\"model\":\"" + model + "\",\"steps\":[10,50,100],\"step_seconds\":" + stepSeconds
                        + ",\"max_error_rate\":0.02,\"max_ttft_ratio\":" + maxTtftRatio + ",\"min_requests\":5}");
        assertThat(started.status()).as(started.body().toString()).isEqualTo(202);
        return started.body();
    }

    private static JsonNode awaitFinished(String rolloutId, Duration atMost) {
        AtomicReference<JsonNode> last = new AtomicReference<>();
        await().atMost(atMost).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            StudioApi.Answer answer = api.get(studio.chatPort, "/api/chat/rollouts/" + rolloutId);
            last.set(answer.body());
            assertThat(answer.body().path("state").asText())
                    .as(answer.body().toString())
                    .isNotEqualTo("running");
        });
        return last.get();
    }

    /** Waits until the load has had {@code count} answers from {@code model} (the default: the baseline's figures). */
    private void awaitAnswers(String model, int count) {
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> assertThat(load.answeredBy().stream().filter(model::equals))
                        .hasSizeGreaterThanOrEqualTo(count));
    }

    /** One chat completion through the gateway for {@code model} (a served name, a task id or sage-chat). */
    private static StudioApi.Answer chat(String model, String user) {
        String userField = user == null ? "" : ",\"user\":\"" + user + "\"";
        return api.post(
                studio.gatewayPort,
                "/v1/chat/completions",
                "{\"model\":\"" + model + "\"" + userField
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"max_tokens\":3}");
    }

    /** Which served name produced an answer: the stand-in starts each with {@code [<served name>]}. */
    private static String answeredBy(StudioApi.Answer answer) {
        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(200);
        String content = answer.body()
                .path("choices")
                .path(0)
                .path("message")
                .path("content")
                .asText();
        assertThat(content).as(answer.body().toString()).startsWith("[");
        return content.substring(1, content.indexOf(']'));
    }

    private static int engineCall(String method, String url, String key, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key);
        request.method(
                method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        try {
            return HttpClient.newHttpClient()
                    .send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException e) {
            throw new AssertionError(method + " " + url + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * Constant {@code sage-chat} traffic through the gateway, 20 requests a second, each with a random {@code user}:
     * what the rollout's guards measure and its split divides. Keeps who answered and what failed.
     */
    private static final class Load implements AutoCloseable {
        private final HttpClient http = HttpClient.newBuilder()
                // HTTP/1.1 like the SDKs: with the JDK's default (HTTP/2, an h2c upgrade) the gateway counted the
                // requests' time to first token but not the requests, and the rollout never saw min_requests.
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(3))
                .build();
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        private final ConcurrentLinkedQueue<String> answered = new ConcurrentLinkedQueue<>();
        private final ConcurrentLinkedQueue<String> failed = new ConcurrentLinkedQueue<>();

        Load() {
            timer.scheduleAtFixedRate(this::send, 0, 50, TimeUnit.MILLISECONDS);
        }

        private void send() {
            String body = "{\"model\":\"sage-chat\",\"user\":\"user-"
                    + ThreadLocalRandom.current().nextInt(1_000_000)
                    + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"max_tokens\":3}";
            HttpRequest request = HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + studio.gatewayPort + "/v1/chat/completions"))
                    .timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build();
            http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, error) -> {
                if (error != null) {
                    failed.add(error.toString());
                } else if (response.statusCode() != 200) {
                    failed.add(response.statusCode() + " " + response.body());
                } else {
                    answered.add(answeredBy(response.body()));
                }
            });
        }

        private static String answeredBy(String body) {
            try {
                String content = StudioJson.mapper()
                        .readTree(body)
                        .path("choices")
                        .path(0)
                        .path("message")
                        .path("content")
                        .asText();
                return content.startsWith("[") ? content.substring(1, content.indexOf(']')) : content;
            } catch (IOException e) {
                return "(not JSON)";
            }
        }

        List<String> failures() {
            return List.copyOf(failed);
        }

        List<String> answeredBy() {
            return List.copyOf(answered);
        }

        @Override
        public void close() {
            timer.shutdownNow();
        }
    }
}
