package io.sage.studio.gateway.support;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.EventSignature;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * Publishes route events the way the chat-switch-service does (a plain producer, CloudEvents binary mode, key
 * {@code active}) to the test broker, and waits until the gateway has applied them.
 */
public final class RoutePublisher {

    /** The key token-mode tests give the gateway ({@code studio.events.signing-key}). */
    public static final String SIGNING_KEY = "test-signing-key-0123456789abcdef";

    private static final AtomicLong REVISION = new AtomicLong(System.currentTimeMillis());
    private static KafkaProducer<String, byte[]> producer;

    /** The bearer token that reads {@code /api/gateway/status} when the test runs with authentication on. */
    private static volatile String statusToken;

    private RoutePublisher() {}

    /** Reads the gateway's status with {@code token} from now on ({@code null}: without credentials). */
    public static void statusToken(String token) {
        statusToken = token;
    }

    /** Routes to {@code backend} and returns the switch operation id. */
    public static String active(StandInBackend backend) {
        return active(backend, "local", backend.servedModel() + "-display");
    }

    public static String active(StandInBackend backend, String kind, String displayName) {
        return publish(ChatBackendEvent.State.ACTIVE, backend(backend, kind, displayName), null);
    }

    /** The route event's description of a stand-in backend ({@code kind}: base, finetuned or cloud). */
    public static ChatBackendEvent.Backend backend(StandInBackend backend, String kind, String displayName) {
        return new ChatBackendEvent.Backend(
                "standin-" + backend.servedModel(),
                backend.baseUrl(),
                backend.servedModel(),
                displayName,
                "/models/" + backend.servedModel(),
                "Qwen/Qwen2.5-0.5B-Instruct",
                kind,
                "local");
    }

    /** The description of a stand-in backend as {@link #active(StandInBackend)} publishes it. */
    public static ChatBackendEvent.Backend backend(StandInBackend backend) {
        return backend(backend, "local", backend.servedModel() + "-display");
    }

    /**
     * Routes to {@code primary} by default, to each of {@code served} by name, and splits the default's traffic when
     * {@code split} is not {@code null}; returns the switch operation id once the gateway applied it.
     */
    public static String serving(
            ChatBackendEvent.Backend primary, List<ChatBackendEvent.Backend> served, ChatBackendEvent.Split split) {
        return publish(ChatBackendEvent.State.ACTIVE, primary, null, served, split);
    }

    /**
     * No default ({@code state} {@code NONE} or {@code SWITCHING}) while {@code served} answer by name, as chat-switch
     * publishes it when models are served (an evaluation's arms) before any switch.
     */
    public static String servedWithoutDefault(ChatBackendEvent.State state, List<ChatBackendEvent.Backend> served) {
        return publish(state, null, state == ChatBackendEvent.State.SWITCHING ? 2 : null, served, null);
    }

    /** Routes to a backend at {@code baseUrl} that may not exist. */
    public static String active(String id, String baseUrl, String servedModel) {
        return publish(
                ChatBackendEvent.State.ACTIVE,
                new ChatBackendEvent.Backend(id, baseUrl, servedModel, servedModel, null, null, "base", "local"),
                null);
    }

    public static String switching(int retryAfterSeconds) {
        return publish(ChatBackendEvent.State.SWITCHING, null, retryAfterSeconds);
    }

    public static String none() {
        return publish(ChatBackendEvent.State.NONE, null, null);
    }

    private static String publish(ChatBackendEvent.State state, ChatBackendEvent.Backend backend, Integer retryAfter) {
        return publish(state, backend, retryAfter, List.of(), null);
    }

    private static synchronized String publish(
            ChatBackendEvent.State state,
            ChatBackendEvent.Backend backend,
            Integer retryAfter,
            List<ChatBackendEvent.Backend> served,
            ChatBackendEvent.Split split) {
        long revision = REVISION.incrementAndGet();
        String operation = "op-" + UUID.randomUUID();
        ChatBackendEvent event = new ChatBackendEvent(
                ChatBackendEvent.SCHEMA_VERSION,
                revision,
                state,
                backend,
                Instant.now(),
                operation,
                retryAfter,
                served,
                split);
        try {
            ProducerRecord<String, byte[]> record =
                    CloudEvents.record(event, CloudEvents.source("gateway-adapter-test"));
            // Signed, as chat-switch signs: a gateway with the key (token mode) follows it, one without ignores the
            // header.
            EventSignature.withKey(SIGNING_KEY).sign(record.headers(), record.value());
            producer().send(record).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot publish the route", e);
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            String token = statusToken;
            Number applied = (token == null ? given() : given().header("Authorization", "Bearer " + token))
                    .get("/api/gateway/status")
                    .then()
                    .statusCode(200)
                    .extract()
                    .path("revision");
            return applied != null && applied.longValue() == revision;
        });
        return operation;
    }

    private static KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            Properties props = new Properties();
            props.put(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    KafkaTestResource.broker().bootstrapServers());
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
            Runtime.getRuntime().addShutdownHook(new Thread(producer::close, "route-publisher-shutdown"));
        }
        return producer;
    }
}
