package io.sage.studio.finetune.webhook;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * The serving layer an evaluation talks to, on loopback (the JDK's HTTP server), so that a real evaluation run by
 * the service completes: {@code POST /api/chat/serving} answers the model ready under its own name and
 * {@code POST /v1/chat/completions} answers {@code you said: <the last message>}. One per test JVM, started when the
 * test profile asks for its URL.
 */
final class ServingStub {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static ServingStub shared;

    private final HttpServer server;

    private ServingStub(HttpServer server) {
        this.server = server;
    }

    static synchronized ServingStub shared() {
        if (shared == null) {
            try {
                HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
                server.createContext("/api/chat/serving", exchange -> {
                    JsonNode body = JSON.readTree(exchange.getRequestBody());
                    answer(
                            exchange,
                            JSON.createObjectNode()
                                    .put("model", body.path("model").asText())
                                    .put("state", "ready"));
                });
                server.createContext("/v1/chat/completions", exchange -> {
                    JsonNode messages = JSON.readTree(exchange.getRequestBody()).path("messages");
                    String last =
                            messages.path(messages.size() - 1).path("content").asText();
                    var answer = JSON.createObjectNode();
                    answer.putArray("choices")
                            .addObject()
                            .putObject("message")
                            .put("role", "assistant")
                            .put("content", "you said: " + last);
                    answer(exchange, answer);
                });
                server.start();
                shared = new ServingStub(server);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return shared;
    }

    private static void answer(HttpExchange exchange, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }
}
