package io.sage.studio.gateway.support;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;

/**
 * A backend written at the byte level, for what a well-behaved HTTP server library would not do on demand: close a
 * kept-alive connection as the next request arrives, answer {@code Connection: close}, send interim {@code 1xx}
 * answers, end a body by closing the connection. A script picks the behaviour for each request from the number of
 * the connection (from 1) and of the request on it (from 1).
 */
public final class RawBackend implements AutoCloseable {

    /** What the backend does with one request. */
    public enum Behaviour {
        /** A JSON answer with {@code Content-Length}, connection kept alive. */
        ANSWER,
        /** The same answer with {@code Connection: close}, then the connection closes. */
        ANSWER_AND_CLOSE,
        /** {@code 103 Early Hints} first, then {@link #ANSWER}. */
        INTERIM_THEN_ANSWER,
        /** A body without length or chunking, ended by closing the connection. */
        CLOSE_DELIMITED,
        /** Closes the connection without answering (a keep-alive timeout racing the request). */
        DROP
    }

    /** One request as received: the connection it came on, its request line and its body. */
    public record Received(int connection, String requestLine, String head, String body) {}

    private final NetServer server;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger closed = new AtomicInteger();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private volatile BiFunction<Integer, Integer, Behaviour> script = (connection, request) -> Behaviour.ANSWER;

    private RawBackend() throws Exception {
        server = TestVertx.get()
                .createNetServer()
                .connectHandler(this::serve)
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    public static RawBackend start() {
        try {
            return new RawBackend();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the raw backend", e);
        }
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    public int port() {
        return server.actualPort();
    }

    /** Sets the behaviour for each (connection, request-on-connection) pair and forgets what was received. */
    public void script(BiFunction<Integer, Integer, Behaviour> script) {
        this.script = script;
        received.clear();
    }

    public List<Received> received() {
        return received;
    }

    /** Connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    /** Connections that have closed so far (either side). */
    public int closedConnections() {
        return closed.get();
    }

    private void serve(NetSocket socket) {
        int connection = connections.incrementAndGet();
        socket.closeHandler(v -> closed.incrementAndGet());
        StringBuilder pending = new StringBuilder();
        int[] requests = {0};
        socket.handler(data -> {
            pending.append(data.toString(StandardCharsets.ISO_8859_1));
            while (true) {
                int headEnd = pending.indexOf("\r\n\r\n");
                if (headEnd < 0) {
                    return;
                }
                String head = pending.substring(0, headEnd);
                int end = headEnd + 4 + contentLength(head);
                if (pending.length() < end) {
                    return;
                }
                String body = pending.substring(headEnd + 4, end);
                pending.delete(0, end);
                requests[0]++;
                received.add(new Received(connection, head.substring(0, head.indexOf("\r\n")), head, body));
                if (!answer(socket, script.apply(connection, requests[0]), body)) {
                    return;
                }
            }
        });
    }

    /** Answers one request; false when the connection is closing. */
    private static boolean answer(NetSocket socket, Behaviour behaviour, String requestBody) {
        String json = "{\"object\":\"chat.completion\",\"echo\":" + requestBody.length() + "}";
        switch (behaviour) {
            case DROP -> {
                socket.close();
                return false;
            }
            case ANSWER -> socket.write(answer(json, ""));
            case ANSWER_AND_CLOSE -> {
                socket.write(answer(json, "Connection: close\r\n")).onComplete(v -> socket.close());
                return false;
            }
            case INTERIM_THEN_ANSWER ->
                socket.write("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" + answer(json, ""));
            case CLOSE_DELIMITED -> {
                socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" + json)
                        .onComplete(v -> socket.close());
                return false;
            }
        }
        return true;
    }

    private static String answer(String json, String extraHeaders) {
        return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                + json.getBytes(StandardCharsets.UTF_8).length + "\r\n" + extraHeaders + "\r\n" + json;
    }

    private static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                return Integer.parseInt(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        return 0;
    }

    @Override
    public void close() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
