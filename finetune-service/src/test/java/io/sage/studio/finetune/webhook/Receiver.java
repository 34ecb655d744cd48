package io.sage.studio.finetune.webhook;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import com.standardwebhooks.exceptions.WebhookVerificationException;
import com.sun.net.httpserver.HttpServer;

/**
 * A webhook receiver on loopback (the JDK's HTTP server): records every request per path with its headers (names in
 * lower case) and the status it answered; a path can be told to answer 500 to its first requests. The webhook tests
 * wait on it for the deliveries they expect, signed ones verified, in one way.
 */
final class Receiver implements AutoCloseable {

    /** One request and the status it got. */
    record Received(String body, Map<String, List<String>> headers, int status) {}

    private static final Duration WAIT = Duration.ofSeconds(60);

    private final HttpServer server;
    private final Map<String, List<Received>> received = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();

    private Receiver(HttpServer server) {
        this.server = server;
    }

    static Receiver start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            Receiver receiver = new Receiver(server);
            server.createContext("/", exchange -> {
                String path = exchange.getRequestURI().getPath();
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                Map<String, List<String>> headers = new TreeMap<>();
                exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
                AtomicInteger left = receiver.failures.get(path);
                int status = left != null && left.getAndDecrement() > 0 ? 500 : 200;
                receiver.received
                        .computeIfAbsent(path, p -> java.util.Collections.synchronizedList(new ArrayList<>()))
                        .add(new Received(body, headers, status));
                exchange.sendResponseHeaders(status, -1);
                exchange.close();
            });
            server.start();
            return receiver;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    void failFirst(String path, int count) {
        failures.put(path, new AtomicInteger(count));
    }

    List<Received> all(String path) {
        synchronized (received.computeIfAbsent(path, p -> java.util.Collections.synchronizedList(new ArrayList<>()))) {
            return List.copyOf(received.get(path));
        }
    }

    List<Received> accepted(String path) {
        return all(path).stream().filter(r -> r.status() == 200).toList();
    }

    /** The part of a delivery's body (a CloudEvent) that names its event type {@code type}. */
    static String eventType(String type) {
        return "\"type\":\"" + type + "\"";
    }

    /**
     * Waits (a minute at most, the outbox retries a refused delivery) for the first request to {@code path} this
     * receiver accepted whose body contains every one of {@code bodyParts}.
     */
    Received awaitAccepted(String path, String... bodyParts) {
        return await().atMost(WAIT)
                .until(
                        () -> accepted(path).stream()
                                .filter(r -> Arrays.stream(bodyParts).allMatch(r.body()::contains))
                                .findFirst()
                                .orElse(null),
                        Objects::nonNull);
    }

    /**
     * {@link #awaitAccepted} for a delivery of a webhook whose signing secret is {@code secret}: it must carry a
     * Standard Webhooks signature of its body that verifies, else the test fails.
     */
    Received awaitSigned(String path, String secret, String... bodyParts) throws WebhookVerificationException {
        Received delivery = awaitAccepted(path, bodyParts);
        new WebhookVerifier(secret).verify(delivery.body(), delivery.headers());
        return delivery;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
