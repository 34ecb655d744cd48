package io.sage.studio.gateway.routing;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.events.ChatTrafficEvent;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.Topics;
import io.sage.studio.gateway.openai.OpenAiProxy;
import io.sage.studio.gateway.support.Http;
import io.sage.studio.gateway.support.RoutePublisher;
import io.sage.studio.gateway.support.StandInBackend;
import io.sage.studio.gateway.support.StandInServices;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * Routing by name and the traffic split through the running gateway, on a real broker and stand-in engines: every
 * served model answers by name, {@code /v1/models} lists them, the alias splits by conversation, and the figures a
 * rollout reads reach {@code studio.chat.traffic}.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StandInServices.class, scope = TestResourceScope.GLOBAL)
class ServedModelsTest {

    private static StandInBackend base;
    private static StandInBackend ftA;
    private static StandInBackend ftB;
    private static StandInBackend ftC;

    @BeforeAll
    static void startBackends() {
        base = StandInBackend.start("sm-base");
        ftA = StandInBackend.start("sm-ft-a");
        ftB = StandInBackend.start("sm-ft-b");
        ftC = StandInBackend.start("sm-ft-c");
    }

    @AfterAll
    static void stopBackends() throws Exception {
        for (StandInBackend backend : List.of(base, ftA, ftB, ftC)) {
            backend.close();
        }
    }

    @BeforeEach
    void reset() {
        for (StandInBackend backend : List.of(base, ftA, ftB, ftC)) {
            backend.reset();
        }
    }

    private static String chat(String model, String user) {
        return "{\"model\":" + (model == null ? "null" : "\"" + model + "\"")
                + (user == null ? "" : ",\"user\":\"" + user + "\"")
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    @Test
    @Timeout(60)
    void twoServedModelsAnswerByNameAtTheSameTime() throws Exception {
        RoutePublisher.serving(
                RoutePublisher.backend(base), List.of(RoutePublisher.backend(ftA), RoutePublisher.backend(ftB)), null);
        ftA.holdAnswers();
        ftB.holdAnswers();
        CompletableFuture<HttpResponse<String>> a =
                Http.sendAsync(Http.post("/v1/chat/completions", chat("sm-ft-a", null)));
        CompletableFuture<HttpResponse<String>> b =
                Http.sendAsync(Http.post("/v1/chat/completions", chat("sm-ft-b-display", null)));
        // Both are at their engines at once.
        await().atMost(Duration.ofSeconds(15))
                .until(() -> ftA.received().size() == 1 && ftB.received().size() == 1);
        ftA.release();
        ftB.release();

        HttpResponse<String> fromA = a.get();
        HttpResponse<String> fromB = b.get();
        assertThat(fromA.statusCode()).isEqualTo(200);
        assertThat(fromA.headers().firstValue(OpenAiProxy.MODEL_HEADER)).hasValue("sm-ft-a");
        assertThat(fromA.body()).contains("hello from sm-ft-a");
        assertThat(fromB.statusCode()).isEqualTo(200);
        assertThat(fromB.headers().firstValue(OpenAiProxy.BACKEND_HEADER)).hasValue("standin-sm-ft-b");
        assertThat(fromB.body()).contains("hello from sm-ft-b");
        assertThat(ftB.last().json().getString("model"))
                .as("the display name rewritten")
                .isEqualTo("sm-ft-b");
        assertThat(base.received()).isEmpty();

        given().contentType(ContentType.JSON)
                .body(chat("sage-chat", null))
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .header(OpenAiProxy.MODEL_HEADER, "sm-base");
    }

    @Test
    @Timeout(60)
    void modelsServedByNameAnswerWhileThereIsNoDefaultOrItIsSwitching() {
        for (ChatBackendEvent.State state : List.of(ChatBackendEvent.State.NONE, ChatBackendEvent.State.SWITCHING)) {
            RoutePublisher.servedWithoutDefault(
                    state, List.of(RoutePublisher.backend(ftA), RoutePublisher.backend(ftB)));
            given().contentType(ContentType.JSON)
                    .body(chat("sm-ft-a", null))
                    .post("/v1/chat/completions")
                    .then()
                    .statusCode(200)
                    .header(OpenAiProxy.MODEL_HEADER, "sm-ft-a");
            given().contentType(ContentType.JSON)
                    .body(chat("sm-ft-b-display", null))
                    .post("/v1/chat/completions")
                    .then()
                    .statusCode(200)
                    .header(OpenAiProxy.MODEL_HEADER, "sm-ft-b");
            // The alias and no name ask for the default, which there is not: the route's reason, with Retry-After.
            String expected = state == ChatBackendEvent.State.NONE ? "no_backend" : "backend_switching";
            for (String model : new String[] {"sage-chat", null}) {
                given().contentType(ContentType.JSON)
                        .body(chat(model, null))
                        .post("/v1/chat/completions")
                        .then()
                        .statusCode(503)
                        .header("Retry-After", org.hamcrest.Matchers.notNullValue())
                        .body("error.code", equalTo(expected));
            }
            given().get("/v1/models").then().statusCode(200).body("data.id", contains("sm-ft-a", "sm-ft-b"));
            given().get("/v1/models/sage-chat").then().statusCode(404);
        }
        RoutePublisher.none();
        given().contentType(ContentType.JSON)
                .body(chat("sm-ft-a", null))
                .post("/v1/chat/completions")
                .then()
                .statusCode(503)
                .body("error.code", equalTo("no_backend"));
    }

    @Test
    void modelsListsTheAliasTheDefaultEveryServedModelAndTheCandidate() {
        RoutePublisher.serving(
                RoutePublisher.backend(base),
                List.of(RoutePublisher.backend(ftA)),
                new ChatBackendEvent.Split("ro-list", RoutePublisher.backend(ftC), 10));
        given().get("/v1/models")
                .then()
                .statusCode(200)
                .body("data.id", contains("sm-base", "sage-chat", "sm-ft-a", "sm-ft-c"))
                .body("data.find { it.id == 'sage-chat' }.root", equalTo("sm-base"))
                .body("data.find { it.id == 'sm-ft-a' }.root", equalTo("/models/sm-ft-a"));
        given().get("/v1/models/sm-ft-a-display")
                .then()
                .statusCode(200)
                .body("id", equalTo("sm-ft-a-display"))
                .body("root", equalTo("sm-ft-a"));
        given().get("/v1/models/sm-ft-b").then().statusCode(404).body("error.code", equalTo("model_not_found"));
        given().get("/api/gateway/status")
                .then()
                .body("models.model", contains("sm-base", "sm-ft-a", "sm-ft-c"))
                .body("models[0].default_model", equalTo(true))
                .body("split.candidate", equalTo("sm-ft-c"))
                .body("split.weight", equalTo(10));
    }

    @Test
    @Timeout(120)
    void theAliasSendsTheSplitsWeightOfConversationsToTheCandidate() throws Exception {
        RoutePublisher.serving(
                RoutePublisher.backend(base),
                List.of(),
                new ChatBackendEvent.Split("ro-" + UUID.randomUUID(), RoutePublisher.backend(ftC), 30));
        Map<String, Integer> arms = new HashMap<>();
        int total = 2000;
        for (int batch = 0; batch < total / 50; batch++) {
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                String model = i % 2 == 0 ? "sage-chat" : null;
                answers.add(Http.sendAsync(Http.post(
                        "/v1/chat/completions", chat(model, UUID.randomUUID().toString()))));
            }
            for (CompletableFuture<HttpResponse<String>> answer : answers) {
                HttpResponse<String> response = answer.get();
                assertThat(response.statusCode()).isEqualTo(200);
                arms.merge(
                        response.headers().firstValue(OpenAiProxy.MODEL_HEADER).orElseThrow(), 1, Integer::sum);
            }
        }
        double share = arms.getOrDefault("sm-ft-c", 0) * 100.0 / total;
        assertThat(share)
                .as("the candidate's share of %d requests: %s", total, arms)
                .isBetween(26.0, 34.0);
        assertThat(arms.keySet()).containsExactlyInAnyOrder("sm-base", "sm-ft-c");
    }

    @Test
    @Timeout(120)
    void aConversationKeepsItsArmAndStaysOnTheCandidateAsTheWeightGrows() {
        String rollout = "ro-" + UUID.randomUUID();
        ChatBackendEvent.Backend candidate = RoutePublisher.backend(ftC);
        RoutePublisher.serving(
                RoutePublisher.backend(base), List.of(), new ChatBackendEvent.Split(rollout, candidate, 10));
        List<String> users = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            users.add("conversation-" + i);
        }
        Map<String, String> at10 = new HashMap<>();
        for (String user : users) {
            String byUser = arm(Http.post("/v1/chat/completions", chat("sage-chat", user)));
            at10.put(user, byUser);
            // The same conversation, again by its user and by its session header: the same arm every time.
            assertThat(arm(Http.post("/v1/chat/completions", chat(null, user)))).isEqualTo(byUser);
            assertThat(arm(HttpRequest.newBuilder(Http.uri("/v1/chat/completions"))
                            .header("Content-Type", "application/json")
                            .header(OpenAiProxy.SESSION_HEADER, user)
                            .POST(HttpRequest.BodyPublishers.ofString(chat("sage-chat", "someone-else")))
                            .build()))
                    .isEqualTo(byUser);
        }
        assertThat(at10.values()).contains("sm-ft-c", "sm-base");

        RoutePublisher.serving(
                RoutePublisher.backend(base), List.of(), new ChatBackendEvent.Split(rollout, candidate, 50));
        int onCandidate = 0;
        for (String user : users) {
            String now = arm(Http.post("/v1/chat/completions", chat("sage-chat", user)));
            if (at10.get(user).equals("sm-ft-c")) {
                assertThat(now)
                        .as("conversation %s, on the candidate at 10 %%", user)
                        .isEqualTo("sm-ft-c");
            }
            if (now.equals("sm-ft-c")) {
                onCandidate++;
            }
        }
        assertThat(onCandidate).isGreaterThan((int)
                at10.values().stream().filter("sm-ft-c"::equals).count());
    }

    private static String arm(HttpRequest request) {
        HttpResponse<String> response = Http.send(request);
        assertThat(response.statusCode()).isEqualTo(200);
        return response.headers().firstValue(OpenAiProxy.MODEL_HEADER).orElseThrow();
    }

    @Test
    @Timeout(90)
    void trafficFiguresReachTheTopicWithRequestsErrorsAndTimeToFirstToken() throws Exception {
        String tag = UUID.randomUUID().toString().substring(0, 8);
        try (StandInBackend ok = StandInBackend.start("tr-ok-" + tag);
                StandInBackend failing = StandInBackend.start("tr-fail-" + tag)) {
            failing.failWith(500);
            ChatBackendEvent.Backend dead = new ChatBackendEvent.Backend(
                    "dead-" + tag, "http://127.0.0.1:1", "tr-dead-" + tag, null, null, null, "base", "local");
            RoutePublisher.serving(RoutePublisher.backend(ok), List.of(RoutePublisher.backend(failing), dead), null);
            for (int i = 0; i < 5; i++) {
                given().contentType(ContentType.JSON)
                        .body(chat("sage-chat", null))
                        .post("/v1/chat/completions")
                        .then()
                        .statusCode(200);
            }
            try (Http.Stream stream = Http.open(
                    Http.post("/v1/chat/completions", "{\"model\":\"sage-chat\",\"stream\":true,\"messages\":[]}"))) {
                assertThat(stream.rest()).last().isEqualTo("data: [DONE]");
            }
            for (int i = 0; i < 3; i++) {
                given().contentType(ContentType.JSON)
                        .body(chat("tr-fail-" + tag, null))
                        .post("/v1/chat/completions")
                        .then()
                        .statusCode(500);
            }
            given().contentType(ContentType.JSON)
                    .body(chat("tr-dead-" + tag, null))
                    .post("/v1/chat/completions")
                    .then()
                    .statusCode(502);
            String gatewayId =
                    given().get("/api/gateway/status").then().extract().path("traffic.gateway_id");

            ChatTrafficEvent latest = awaitTraffic(gatewayId, event -> {
                ChatTrafficEvent.ModelTraffic dying = model(event, "tr-dead-" + tag);
                return dying != null && dying.requests() == 1;
            });
            ChatTrafficEvent.ModelTraffic good = model(latest, "tr-ok-" + tag);
            assertThat(good.backendId()).isEqualTo("standin-tr-ok-" + tag);
            assertThat(good.requests()).isEqualTo(6);
            assertThat(good.errors()).isZero();
            assertThat(good.ttftBuckets()).hasSize(ChatTrafficEvent.TTFT_BOUNDS_MS.size() + 1);
            assertThat(good.ttftBuckets().stream().mapToLong(Long::longValue).sum())
                    .isEqualTo(6);
            ChatTrafficEvent.ModelTraffic bad = model(latest, "tr-fail-" + tag);
            assertThat(bad.requests()).isEqualTo(3);
            assertThat(bad.errors()).isEqualTo(3);
            assertThat(bad.ttftBuckets().stream().mapToLong(Long::longValue).sum())
                    .isZero();
            ChatTrafficEvent.ModelTraffic unreachable = model(latest, "tr-dead-" + tag);
            assertThat(unreachable.errors()).isEqualTo(1);
            assertThat(latest.startedAt()).isBefore(latest.at());
        }
    }

    /**
     * The JDK's client asks for HTTP/2 (an {@code h2c} upgrade on plain HTTP) unless told otherwise; such requests
     * must count like any other, or a rollout driven by those clients never reaches {@code min_requests}.
     */
    @Test
    @Timeout(90)
    void requestsUpgradedToHttp2CountInTheTrafficFigures() throws Exception {
        String tag = UUID.randomUUID().toString().substring(0, 8);
        try (StandInBackend h2 = StandInBackend.start("tr-h2-" + tag)) {
            RoutePublisher.serving(RoutePublisher.backend(h2), List.of(), null);
            java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                    .version(java.net.http.HttpClient.Version.HTTP_2)
                    .build();
            for (int i = 0; i < 4; i++) {
                HttpResponse<String> answer = client.send(
                        HttpRequest.newBuilder(Http.uri("/v1/chat/completions"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(chat("sage-chat", null)))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).isEqualTo(200);
            }
            String gatewayId =
                    given().get("/api/gateway/status").then().extract().path("traffic.gateway_id");
            ChatTrafficEvent latest = awaitTraffic(gatewayId, event -> {
                ChatTrafficEvent.ModelTraffic counted = model(event, "tr-h2-" + tag);
                return counted != null && counted.requests() == 4;
            });
            assertThat(model(latest, "tr-h2-" + tag).errors()).isZero();
        }
    }

    @Test
    void aRouteOfAnotherRevisionReplacesTheWholeTable() {
        RoutePublisher.serving(
                RoutePublisher.backend(base), List.of(RoutePublisher.backend(ftA), RoutePublisher.backend(ftB)), null);
        given().contentType(ContentType.JSON)
                .body(chat("sm-ft-a", null))
                .post("/v1/chat/completions")
                .then()
                .statusCode(200);

        RoutePublisher.serving(RoutePublisher.backend(ftC), List.of(RoutePublisher.backend(base)), null);
        given().contentType(ContentType.JSON)
                .body(chat("sm-ft-a", null))
                .post("/v1/chat/completions")
                .then()
                .statusCode(404)
                .body("error.code", equalTo("model_not_found"));
        given().contentType(ContentType.JSON)
                .body(chat("sage-chat", null))
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .header(OpenAiProxy.MODEL_HEADER, "sm-ft-c");
        given().contentType(ContentType.JSON)
                .body(chat("sm-base", null))
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .header(OpenAiProxy.MODEL_HEADER, "sm-base");
        given().get("/v1/models").then().body("data.id", contains("sm-ft-c", "sage-chat", "sm-base"));
        assertThat(ftA.received()).hasSize(1);
    }

    private static ChatTrafficEvent.ModelTraffic model(ChatTrafficEvent event, String served) {
        return event.models().stream()
                .filter(m -> m.servedModelName().equals(served))
                .findFirst()
                .orElse(null);
    }

    /** The first record of {@code gatewayId} on the traffic topic that satisfies {@code until}. */
    private static ChatTrafficEvent awaitTraffic(String gatewayId, Predicate<ChatTrafficEvent> until) {
        Properties props = new Properties();
        props.put(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                KafkaTestResource.broker().bootstrapServers());
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(Topics.CHAT_TRAFFIC, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            AtomicReference<ChatTrafficEvent> found = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (gatewayId.equals(record.key())) {
                        assertThat(CloudEvents.typeOf(record)).isEqualTo(ChatTrafficEvent.TYPE);
                        ChatTrafficEvent event = CloudEvents.decode(record.value(), ChatTrafficEvent.class);
                        if (until.test(event)) {
                            found.set(event);
                        }
                    }
                }
                return found.get() != null;
            });
            return found.get();
        }
    }
}
