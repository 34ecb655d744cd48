package io.sage.studio.finetune.webhook;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;

/**
 * A webhook receiver on loopback (the JDK's HTTP server): records every request per path with its headers (names in
 * lower case) and the status it answered; a path can be told to answer 500 to its first requests.
 */
final class Receiver implements AutoCloseable {

    /** One request and the status it got. */
    record Received(String body, Map<String, List<String>> headers, int status) {}

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

    @Override
    public void close() {
        server.stop(0);
    }
}
