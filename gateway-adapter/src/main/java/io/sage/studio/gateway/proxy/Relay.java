package io.sage.studio.gateway.proxy;

import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;

/**
 * The byte-moving half of a reverse proxy, shared by {@code /v1} and {@code /api}: end-to-end header copies and
 * body relays chunk by chunk with backpressure (a full write queue pauses the reading side until it drains), so
 * nothing is ever buffered whole.
 */
public final class Relay {

    /** Hop-by-hop headers (RFC 9110 §7.6.1) plus the ones the relay sets itself. */
    private static final List<String> NOT_FORWARDED = List.of(
            "connection",
            "keep-alive",
            "proxy-connection",
            "proxy-authenticate",
            "proxy-authorization",
            "te",
            "trailer",
            "transfer-encoding",
            "upgrade",
            "host",
            "content-length",
            "expect");
    /** {@link #NOT_FORWARDED} by name length. */
    private static final String[][] HOP_BY_LENGTH = byLength(NOT_FORWARDED);

    private Relay() {}

    private static String[][] byLength(List<String> names) {
        int longest = names.stream().mapToInt(String::length).max().orElse(0);
        String[][] table = new String[longest + 1][];
        for (int length = 0; length <= longest; length++) {
            int l = length;
            table[length] = names.stream().filter(name -> name.length() == l).toArray(String[]::new);
        }
        return table;
    }

    /**
     * Copies the end-to-end headers of {@code from} into {@code to}: hop-by-hop headers, headers named in
     * {@code Connection}, {@code Host}, {@code Content-Length} and {@code Expect} stay behind. Runs twice per
     * proxied request, so the usual case ({@code Connection} absent or only {@code keep-alive}/{@code close})
     * allocates nothing.
     */
    public static void copyHeaders(MultiMap from, MultiMap to) {
        copyHeaders(from, (BiConsumer<String, String>) to::add);
    }

    /** {@link #copyHeaders(MultiMap, MultiMap)} from a client's request to a request for a model backend. */
    public static void copyHeaders(MultiMap from, HttpHeaders to) {
        copyHeaders(from, (BiConsumer<String, String>) to::add);
    }

    private static void copyHeaders(MultiMap from, BiConsumer<String, String> to) {
        Set<String> named = connectionTokens(from.get(HttpHeaderNames.CONNECTION));
        from.forEach((name, value) -> {
            if (forwarded(name) && (named == null || !named.contains(name.toLowerCase(Locale.ROOT)))) {
                to.accept(name, value);
            }
        });
    }

    /** {@link #copyHeaders(MultiMap, MultiMap)} from a model backend's answer to the client's response. */
    public static void copyHeaders(HttpHeaders from, MultiMap to) {
        Set<String> named = connectionTokens(from.get(HttpHeaderNames.CONNECTION));
        Iterator<Map.Entry<CharSequence, CharSequence>> headers = from.iteratorCharSequence();
        while (headers.hasNext()) {
            Map.Entry<CharSequence, CharSequence> header = headers.next();
            CharSequence name = header.getKey();
            if (forwarded(name)
                    && (named == null || !named.contains(name.toString().toLowerCase(Locale.ROOT)))) {
                to.add(name, header.getValue());
            }
        }
    }

    /** Whether a header is end-to-end: a length check rules most names out before any comparison. */
    private static boolean forwarded(CharSequence name) {
        int length = name.length();
        if (length < HOP_BY_LENGTH.length) {
            for (String hop : HOP_BY_LENGTH[length]) {
                if (AsciiString.contentEqualsIgnoreCase(hop, name)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * The header names a {@code Connection} value lists beyond the hop-by-hop ones and {@code close}, lower case;
     * {@code null} when it lists none (the usual {@code keep-alive} or {@code close}).
     */
    static Set<String> connectionTokens(String connection) {
        if (connection == null || connection.equalsIgnoreCase("keep-alive") || connection.equalsIgnoreCase("close")) {
            return null;
        }
        Set<String> tokens = null;
        for (String token : connection.split(",")) {
            String name = token.trim().toLowerCase(Locale.ROOT);
            if (!name.isEmpty() && !name.equals("close") && forwarded(name)) {
                if (tokens == null) {
                    tokens = new HashSet<>();
                }
                tokens.add(name);
            }
        }
        return tokens;
    }

    /** The declared body length of a request, {@code -1} when it is chunked, {@code 0} when it has none. */
    public static long declaredLength(HttpServerRequest request) {
        String length = request.getHeader(HttpHeaderNames.CONTENT_LENGTH);
        if (length != null) {
            return declaredLength(length);
        }
        String encoding = request.getHeader(HttpHeaderNames.TRANSFER_ENCODING);
        return encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked") ? -1 : 0;
    }

    /** How long the rest of a refused body is read (and dropped) before the connection closes anyway. */
    private static final long LINGER_MS = 2_000;

    /**
     * Closes the connection of {@code request} once {@code answer} is written: the answer came before the end of the
     * request's body, and a keep-alive connection would go on reading (and waiting for) the rest of it. A client
     * still sending gets up to two seconds to finish (what it sends is dropped), so that it can read the answer
     * rather than a reset; a client that stalled ({@code linger} false) is cut at once. On HTTP/2 the stream is
     * reset instead, the connection carries other requests.
     */
    public static void closeAfter(Future<Void> answer, HttpServerRequest request, boolean linger) {
        Vertx vertx = Vertx.currentContext().owner();
        answer.onComplete(ar -> {
            if (!linger || request.isEnded()) {
                close(request);
                return;
            }
            long timer = vertx.setTimer(LINGER_MS, t -> close(request));
            request.handler(chunk -> {});
            request.exceptionHandler(e -> vertx.cancelTimer(timer));
            request.endHandler(v -> {
                vertx.cancelTimer(timer);
                close(request);
            });
            request.resume();
        });
    }

    private static void close(HttpServerRequest request) {
        if (request.version() == HttpVersion.HTTP_2) {
            request.response().reset();
        } else {
            request.connection().close();
        }
    }

    /** Answers {@code 100 Continue} when the client waits for it before sending its body. */
    public static void continueIfExpected(HttpServerRequest request) {
        String expect = request.getHeader(HttpHeaderNames.EXPECT);
        if (expect != null
                && expect.equalsIgnoreCase("100-continue")
                && !request.response().headWritten()) {
            request.response().writeContinue();
        }
    }

    /**
     * Streams the (paused) body of {@code from} into {@code to} and ends {@code to}; sets {@code Content-Length}
     * or chunked mode on {@code to} first. {@code onChunk} runs for every chunk forwarded, {@code onEnd} when the body
     * ended. When more than {@code limit} bytes arrive, {@code tooLarge} runs once and nothing more is forwarded.
     */
    public static void forwardBody(
            HttpServerRequest from,
            HttpClientRequest to,
            long declared,
            long limit,
            Runnable onChunk,
            Runnable onEnd,
            Runnable tooLarge) {
        if (declared > 0) {
            to.putHeader(HttpHeaderNames.CONTENT_LENGTH, Long.toString(declared));
        } else {
            to.setChunked(true);
        }
        long[] received = {0};
        from.handler(chunk -> {
            if (received[0] < 0) {
                return;
            }
            received[0] += chunk.length();
            if (received[0] > limit) {
                received[0] = -1;
                tooLarge.run();
                return;
            }
            onChunk.run();
            to.write(chunk);
            if (to.writeQueueFull()) {
                from.pause();
                to.drainHandler(v -> from.resume());
            }
        });
        from.endHandler(v -> {
            if (received[0] >= 0) {
                onEnd.run();
                to.end();
            }
        });
        continueIfExpected(from);
        from.resume();
    }

    /** Sets the response status and end-to-end headers of {@code from} on {@code to}, and its framing. */
    public static void copyHead(HttpClientResponse from, HttpServerResponse to, HttpMethod method) {
        to.setStatusCode(from.statusCode());
        if (from.statusMessage() != null) {
            to.setStatusMessage(from.statusMessage());
        }
        copyHeaders(from.headers(), to.headers());
        frame(to, from.statusCode(), from.getHeader(HttpHeaderNames.CONTENT_LENGTH), method);
    }

    /** {@link #copyHead(HttpClientResponse, HttpServerResponse, HttpMethod)} for a model backend's answer. */
    public static void copyHead(HttpResponse from, HttpServerResponse to, HttpMethod method) {
        HttpResponseStatus status = from.status();
        to.setStatusCode(status.code());
        to.setStatusMessage(status.reasonPhrase());
        copyHeaders(from.headers(), to.headers());
        frame(to, status.code(), from.headers().get(HttpHeaderNames.CONTENT_LENGTH), method);
    }

    /** The answer's framing: its {@code Content-Length}, else chunked unless it has no body. */
    private static void frame(HttpServerResponse to, int status, String length, HttpMethod method) {
        boolean bodyless = method == HttpMethod.HEAD || status == 204 || status == 304 || status < 200;
        if (length != null) {
            to.putHeader(HttpHeaderNames.CONTENT_LENGTH, length);
        } else if (!bodyless) {
            to.setChunked(true);
        }
    }

    /**
     * Prepares an event stream's head: buffering proxies in front (an nginx ingress) are told to pass the stream
     * on as it comes, and the head is sent without waiting for the first event, as the backend sent it. It goes
     * on the next turn of the event loop, so that a first event that arrived together with the head leaves in the
     * same packet.
     *
     * @param context the context of the response's request
     */
    public static void sendEventStreamHead(HttpServerResponse response, Context context) {
        response.putHeader("X-Accel-Buffering", "no");
        context.runOnContext(v -> {
            if (!response.headWritten() && !response.closed()) {
                response.writeHead();
            }
        });
    }

    /**
     * Streams the body of {@code from} to {@code to} chunk by chunk, each chunk written (and flushed) as it
     * arrives; {@code onChunk} sees every chunk before it is written, {@code onEnd} runs after {@code to} ended.
     * The chunk that completes a declared {@code Content-Length} ends {@code to} with it: one write instead of a
     * write and an empty end, which is the whole answer of a small non-streamed completion.
     */
    public static void forwardBody(
            HttpClientResponse from, HttpServerResponse to, Handler<Buffer> onChunk, Runnable onEnd) {
        // Bytes still to come of a declared body (-1: not declared); ended[0] once the last one went out with it.
        long[] remaining = {declaredLength(from.getHeader(HttpHeaderNames.CONTENT_LENGTH))};
        boolean[] ended = {false};
        from.handler(chunk -> {
            onChunk.handle(chunk);
            if (remaining[0] > 0) {
                remaining[0] -= chunk.length();
                if (remaining[0] == 0) {
                    ended[0] = true;
                    to.end(chunk);
                    return;
                }
            }
            to.write(chunk);
            if (to.writeQueueFull()) {
                from.pause();
                to.drainHandler(v -> from.resume());
            }
        });
        from.endHandler(v -> {
            if (!ended[0]) {
                to.end();
            }
            onEnd.run();
        });
    }

    /** A {@code Content-Length} value, {@code -1} when absent or not a number. */
    public static long declaredLength(String contentLength) {
        if (contentLength == null) {
            return -1;
        }
        try {
            return Long.parseLong(contentLength.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** A cause's message for an error answer (its class name when it has none). */
    public static String describe(Throwable cause) {
        String message = cause.getMessage();
        return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
    }
}
