package io.sage.studio.chat.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import io.sage.studio.events.ChatBackendEvent;

/**
 * Chat traffic the way a gateway sends it: every request goes to the route the topic names at that moment
 * ({@code backend.base_url} with {@code backend.served_model_name}, the engines' API key), one after another on a
 * background thread.
 * Counts answers per answering model and every failure, with its reason.
 */
public final class ChatLoad implements AutoCloseable {

    private final RouteWatcher routes;
    private final String apiKey;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<String, AtomicInteger> answeredBy = new ConcurrentHashMap<>();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final AtomicInteger sent = new AtomicInteger();
    private final Thread thread;
    private volatile boolean running = true;

    public ChatLoad(RouteWatcher routes, String apiKey) {
        this.routes = routes;
        this.apiKey = apiKey;
        this.thread = new Thread(this::run, "chat-load");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void run() {
        while (running && !Thread.currentThread().isInterrupted()) {
            ChatBackendEvent route = routes.latest();
            if (route == null || route.state() != ChatBackendEvent.State.ACTIVE) {
                failures.add("no active route: " + (route == null ? "none" : route.state()));
            } else {
                send(route.backend());
            }
            sent.incrementAndGet();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void send(ChatBackendEvent.Backend backend) {
        String body = "{\"model\":\"" + backend.servedModelName()
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"max_tokens\":2}";
        try {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(URI.create(backend.baseUrl() + "/v1/chat/completions"))
                            .header("Content-Type", "application/json")
                            .header("Authorization", "Bearer " + apiKey)
                            .timeout(Duration.ofSeconds(10))
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                failures.add("HTTP " + response.statusCode() + " from " + backend.baseUrl() + ": " + response.body());
                return;
            }
            String marker = "\"model\": \"";
            int at = response.body().indexOf(marker);
            String model = at < 0
                    ? "?"
                    : response.body()
                            .substring(at + marker.length(), response.body().indexOf('"', at + marker.length()));
            answeredBy.computeIfAbsent(model, m -> new AtomicInteger()).incrementAndGet();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            failures.add(e.getClass().getSimpleName() + " from " + backend.baseUrl() + ": " + e.getMessage());
        }
    }

    public int sent() {
        return sent.get();
    }

    public List<String> failures() {
        return List.copyOf(failures);
    }

    public int answeredBy(String model) {
        AtomicInteger n = answeredBy.get(model);
        return n == null ? 0 : n.get();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(5000);
    }
}
