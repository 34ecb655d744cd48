package io.sage.studio.finetune.webhook;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.WebhookVerificationException;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.sage.studio.events.ChatOperationEvent;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.finetune.StudioTestResource;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * {@code /api/webhooks} on the running service with a real broker and a real receiver on loopback: a task run to
 * completion by the stand-in trainer reaches the receiver as {@code task.completed} with a signature that verifies
 * (a tampered or replayed copy does not), the receiver's first 500 is retried under the same {@code webhook-id}, a
 * switch event from {@code studio.chat.operations} is delivered too, bad registrations are 400 naming the field, and
 * a webhook disabled after its deliveries failed is enabled again (or disabled by hand) with {@code PATCH}, which
 * the audit log records.
 */
@QuarkusTest
@TestProfile(WebhookApiTest.Quick.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
class WebhookApiTest {

    private static final Duration LONG = Duration.ofSeconds(60);
    private static Receiver receiver;

    /**
     * Loopback receivers allowed (the test's), retries after 300 ms, the outbox scanned every 50 ms; evaluations
     * served by the {@link ServingStub}.
     */
    public static class Quick implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "studio.finetune.webhooks.allow-loopback", "true",
                    "studio.finetune.webhooks.retry-schedule", "300ms,300ms",
                    "studio.finetune.webhooks.poll", "50ms",
                    "studio.finetune.evaluation.chat-url", ServingStub.shared().url(),
                    "studio.finetune.evaluation.openai-url",
                            ServingStub.shared().url());
        }
    }

    @BeforeAll
    static void startReceiver() throws Exception {
        receiver = Receiver.start();
    }

    @AfterAll
    static void stopReceiver() {
        receiver.close();
    }

    static Map<String, Object> register(Receiver receiver, String path, List<String> events) {
        return given().contentType(ContentType.JSON)
                .body(Map.of("url", receiver.url(path), "events", events, "description", "ci hook"))
                .post("/api/webhooks")
                .then()
                .statusCode(201)
                .body("secret", startsWith("whsec_"))
                .body("enabled", equalTo(true))
                .extract()
                .as(Map.class);
    }

    private static Map<String, Object> register(String path, List<String> events) {
        return register(receiver, path, events);
    }

    /** Publishes {@code event} on its topic as the chat-switch-service does (a CloudEvent). */
    static void publish(ChatOperationEvent event) throws Exception {
        Properties props = new Properties();
        props.put(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                KafkaTestResource.broker().bootstrapServers());
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(CloudEvents.record(event, CloudEvents.source("test"))).get();
        }
    }

    /** Uploads {@code jsonl} as a dataset named {@code name}; returns its id. */
    static String upload(String name, String jsonl) {
        return given().multiPart("file", name, jsonl.getBytes(StandardCharsets.UTF_8))
                .post("/api/finetune/upload-dataset")
                .then()
                .statusCode(200)
                .extract()
                .path("dataset_id");
    }

    /** Runs a task on a two-line dataset to completion (the stand-in trainer); returns its id. */
    static String runTask() {
        String dataset = upload(
                "hook.jsonl", "{\"prompt\":\"q\",\"completion\":\"a\"}\n{\"prompt\":\"r\",\"completion\":\"b\"}\n");
        String id = given().contentType(ContentType.JSON)
                .body(Map.of("model_name", "Qwen/Qwen2.5-0.5B-Instruct", "dataset_file", dataset))
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .extract()
                .path("task_id");
        await().atMost(LONG)
                .until(() -> "completed"
                        .equals(given().get("/api/finetune/tasks/" + id)
                                .then()
                                .extract()
                                .path("status")));
        return id;
    }

    @Test
    void aCompletedTaskReachesTheReceiverSignedAndA500IsRetried() throws Exception {
        Map<String, Object> hook = register("/flaky", List.of("task.completed", "task.started"));
        String secret = (String) hook.get("secret");
        String hookId = (String) hook.get("id");
        receiver.failFirst("/flaky", 1);

        String task = runTask();

        Receiver.Received completed =
                receiver.awaitSigned("/flaky", secret, Receiver.eventType("task.completed"), task);
        WebhookVerifier verifier = new WebhookVerifier(secret);
        assertThat(completed.body()).contains("\"type\":\"task.completed\"", "\"status\":\"completed\"");

        // tampered: another body under the same signature
        assertThatThrownBy(() -> verifier.verify(completed.body().replace("completed", "failed"), completed.headers()))
                .isInstanceOf(WebhookVerificationException.class);
        // replayed: the same delivery, signed correctly, but ten minutes old
        long old = Instant.now().minusSeconds(600).getEpochSecond();
        String id = completed.headers().get("webhook-id").get(0);
        Map<String, List<String>> replay = Map.of(
                "webhook-id", List.of(id),
                "webhook-timestamp", List.of(Long.toString(old)),
                "webhook-signature", List.of(new Webhook(secret).sign(id, old, completed.body())));
        assertThatThrownBy(() -> verifier.verify(completed.body(), replay))
                .isInstanceOf(WebhookVerificationException.class);

        // the first delivery (task.started, the task's first) got a 500 and came again with the same id
        List<Receiver.Received> all = receiver.all("/flaky");
        assertThat(all.get(0).status()).isEqualTo(500);
        String firstId = all.get(0).headers().get("webhook-id").get(0);
        assertThat(receiver.accepted("/flaky"))
                .anySatisfy(r -> assertThat(r.headers().get("webhook-id")).containsExactly(firstId));
        await().atMost(LONG)
                .untilAsserted(() -> given().get("/api/webhooks/" + hookId + "/deliveries")
                        .then()
                        .statusCode(200)
                        .body("deliveries.find { it.id == '" + firstId + "' }.attempt", equalTo(2))
                        .body("deliveries.find { it.id == '" + firstId + "' }.state", equalTo("delivered"))
                        .body("deliveries.event", hasItem("task.completed")));
        given().get("/api/webhooks/" + hookId)
                .then()
                .statusCode(200)
                .body("enabled", equalTo(true))
                .body("last_status", equalTo(200))
                .body("failures", equalTo(0))
                .body("$", not(org.hamcrest.Matchers.hasKey("secret")));

        // the secret is kept to sign, readable by the service's user only
        assertThat(Files.getPosixFilePermissions(StudioTestResource.home().resolve("studio/webhooks/webhooks.json")))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        given().delete("/api/webhooks/" + hookId).then().statusCode(204);
        given().get("/api/webhooks/" + hookId).then().statusCode(404).body("error.code", equalTo("webhook_not_found"));
    }

    @Test
    void aSwitchEventFromTheChatOperationsTopicIsDelivered() throws Exception {
        Map<String, Object> hook = register("/switch", List.of("switch.*"));
        ChatOperationEvent event = new ChatOperationEvent(
                ChatOperationEvent.SCHEMA_VERSION,
                ChatOperationEvent.KIND_SWITCH,
                "op-test-1",
                "completed",
                "switch.succeeded",
                "m2",
                "m1",
                null,
                null,
                "local",
                null,
                Instant.now());
        publish(event);
        Receiver.Received got = receiver.awaitSigned("/switch", (String) hook.get("secret"));
        assertThat(got.body()).contains("\"type\":\"switch.succeeded\"", "\"id\":\"op-test-1\"");
        given().delete("/api/webhooks/" + hook.get("id")).then().statusCode(204);
    }

    private static ChatOperationEvent switched(String operation) {
        return new ChatOperationEvent(
                ChatOperationEvent.SCHEMA_VERSION,
                ChatOperationEvent.KIND_SWITCH,
                operation,
                "completed",
                "switch.succeeded",
                "m2",
                "m1",
                null,
                null,
                "local",
                null,
                Instant.now());
    }

    private static io.restassured.response.ValidatableResponse patch(String id, Map<String, Object> body) {
        return given().contentType(ContentType.JSON)
                .body(body)
                .patch("/api/webhooks/" + id)
                .then();
    }

    @Test
    void aWebhookDisabledAfterFailuresIsEnabledAgainByPatchAndDisabledByHand() throws Exception {
        Map<String, Object> hook = register("/down", List.of("switch.*"));
        String id = (String) hook.get("id");
        receiver.failFirst("/down", 3); // the first try and both retries: the delivery gives up
        publish(switched("op-down-1"));
        await().atMost(LONG)
                .untilAsserted(() -> given().get("/api/webhooks/" + id)
                        .then()
                        .body("enabled", equalTo(false))
                        .body("failures", equalTo(3))
                        .body("disabled_reason", org.hamcrest.Matchers.containsString("failed 3 times")));

        // refused changes name their field and change nothing
        patch(id, Map.of("url", "ftp://example.com/hook"))
                .statusCode(400)
                .body("error.code", equalTo("invalid_field"))
                .body("error.details[0].field", equalTo("url"));
        patch(id, Map.of("enabled", true, "events", List.of("switch.*", "switch.exploded")))
                .statusCode(400)
                .body("error.details[0].field", equalTo("events[1]"));
        patch(id, Map.of("description", "x".repeat(501)))
                .statusCode(400)
                .body("error.details[0].field", equalTo("description"));
        patch(id, Map.of("secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
                .statusCode(400)
                .body("error.details[0].field", equalTo("secret"));
        patch("wh-nothing-here", Map.of("enabled", true))
                .statusCode(404)
                .body("error.code", equalTo("webhook_not_found"));
        given().get("/api/webhooks/" + id)
                .then()
                .body("enabled", equalTo(false))
                .body("failures", equalTo(3));

        // enabled again: the reason and the failures are cleared and events flow to it again
        patch(id, Map.of("enabled", true, "description", "back"))
                .statusCode(200)
                .body("id", equalTo(id))
                .body("enabled", equalTo(true))
                .body("disabled_reason", equalTo(null))
                .body("failures", equalTo(0))
                .body("description", equalTo("back"))
                .body("events", equalTo(List.of("switch.*")))
                .body("$", not(org.hamcrest.Matchers.hasKey("secret")));
        publish(switched("op-down-2"));
        receiver.awaitSigned("/down", (String) hook.get("secret"), "op-down-2");
        await().atMost(LONG)
                .untilAsserted(() -> given().get("/api/webhooks/" + id)
                        .then()
                        .body("enabled", equalTo(true))
                        .body("last_status", equalTo(200))
                        .body("failures", equalTo(0)));

        // disabled by hand (with new events and URL): the reason names the caller, nothing more is sent
        patch(id, Map.of("enabled", false, "events", List.of("rollout.*"), "url", receiver.url("/down2")))
                .statusCode(200)
                .body("enabled", equalTo(false))
                .body("disabled_reason", startsWith("disabled by local"))
                .body("events", equalTo(List.of("rollout.*")))
                .body("url", equalTo(receiver.url("/down2")));
        given().get("/api/webhooks").then().body("webhooks.find { it.id == '" + id + "' }.enabled", equalTo(false));

        // the changes are in the audit log under their own action, the webhook as target
        await().atMost(LONG).untilAsserted(() -> {
            List<Object> statuses = given()
                    .get("/api/audit?action=webhooks.update&limit=100")
                    .then()
                    .statusCode(200)
                    .extract()
                    .<List<Map<String, Object>>>path("entries")
                    .stream()
                    .filter(e -> id.equals(e.get("target")))
                    .map(e -> e.get("status"))
                    .toList();
            assertThat(statuses).filteredOn(s -> s.equals(200)).hasSize(2);
            assertThat(statuses).filteredOn(s -> s.equals(400)).hasSize(4);
        });
        given().delete("/api/webhooks/" + id).then().statusCode(204);
    }

    @Test
    void badRegistrationsAre400NamingTheField() {
        Map<String, Object> base = Map.of("url", receiver.url("/x"), "events", List.of("task.*"));
        record Case(String key, Object value, String field) {}
        List<Case> cases = new ArrayList<>(List.of(
                new Case("url", "ftp://example.com/hook", "url"),
                new Case("url", "http://169.254.169.254/latest/meta-data", "url"),
                new Case("url", "http://[fe80::1]/hook", "url"),
                new Case("url", "http://metadata.google.internal/x", "url"),
                new Case("url", "not a url", "url"),
                new Case("events", List.of("task.*", "task.exploded"), "events[1]"),
                new Case("events", List.of(), "events"),
                new Case("secret", "plain-secret", "secret")));
        for (Case c : cases) {
            Map<String, Object> body = new java.util.HashMap<>(base);
            body.put(c.key(), c.value());
            given().contentType(ContentType.JSON)
                    .body(body)
                    .post("/api/webhooks")
                    .then()
                    .statusCode(400)
                    .body("error.code", equalTo("invalid_field"))
                    .body("error.details[0].field", equalTo(c.field()));
        }
        given().get("/api/webhooks/wh-nothing-here").then().statusCode(404);
        given().get("/api/webhooks")
                .then()
                .statusCode(200)
                .body("webhooks.url", not(hasItem("ftp://example.com/hook")));
    }
}
