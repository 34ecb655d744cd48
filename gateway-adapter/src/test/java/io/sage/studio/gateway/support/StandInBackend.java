package io.sage.studio.gateway.support;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A stand-in for vLLM's OpenAI-compatible server (the real one needs a GPU): {@code /v1/models},
 * {@code /v1/chat/completions} (JSON and SSE stream), {@code /v1/completions}, {@code /v1/embeddings}, and an echo
 * for any other path. It records what it receives, can hold its answers on a gate, and counts streams whose
 * connection closed before they ended. Like vLLM (FastAPI) it reads a body as JSON when it has no
 * {@code Content-Type} or an {@code application/json} / {@code application/*+json} one, and, once told to
 * {@linkplain #requireKey require a key} ({@code --api-key}), answers every {@code /v1} path without
 * {@code Authorization: Bearer <key>} with 401 {@code {"error": "Unauthorized"}}.
 */
public final class StandInBackend implements AutoCloseable {

    /** One request as the backend saw it ({@code body}: as text, {@code json}: when read as JSON). */
    public record Received(String method, String uri, MultiMap headers, JsonObject json, String body) {}

    private final String servedModel;
    private final HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger cancelledStreams = new AtomicInteger();
    private final AtomicInteger arrived = new AtomicInteger();
    private volatile CompletableFuture<Void> gate = CompletableFuture.completedFuture(null);
    private volatile boolean holdAnswers;
    private volatile String requiredKey;
    /** The status every {@code /v1} answer has while set (0: none, answers as usual). */
    private volatile int failWith;

    private StandInBackend(String servedModel) throws Exception {
        this.servedModel = servedModel;
        this.server = TestVertx.get()
                .createHttpServer()
                .requestHandler(this::handle)
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    public static StandInBackend start(String servedModel) {
        try {
            return new StandInBackend(servedModel);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the stand-in backend", e);
        }
    }

    public String servedModel() {
        return servedModel;
    }

    /** The OpenAI base URL without {@code /v1}, as the route event carries it. */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    public List<Received> received() {
        return received;
    }

    public Received last() {
        return received.get(received.size() - 1);
    }

    /** Requests that reached the backend (counted on arrival, before their body is read). */
    public int arrived() {
        return arrived.get();
    }

    public int cancelledStreams() {
        return cancelledStreams.get();
    }

    /** From now on, streams pause after their first chunk until {@link #release()}. */
    public void holdStreams() {
        gate = new CompletableFuture<>();
    }

    /** From now on, every answer waits for {@link #release()} before anything is sent. */
    public void holdAnswers() {
        gate = new CompletableFuture<>();
        holdAnswers = true;
    }

    public void release() {
        holdAnswers = false;
        gate.complete(null);
    }

    /** From now on, {@code /v1} paths need {@code Authorization: Bearer key} as vLLM's {@code --api-key} makes them. */
    public void requireKey(String key) {
        requiredKey = key;
    }

    /** From now on, every {@code /v1} request is answered {@code status} with vLLM's error shape (0: as usual). */
    public void failWith(int status) {
        failWith = status;
    }

    public void reset() {
        release();
        failWith = 0;
        requiredKey = null;
        received.clear();
        cancelledStreams.set(0);
        arrived.set(0);
    }

    private void handle(HttpServerRequest request) {
        arrived.incrementAndGet();
        Context context = Vertx.currentContext();
        String key = requiredKey;
        if (key != null
                && request.path().startsWith("/v1")
                && !("Bearer " + key).equals(request.getHeader(HttpHeaders.AUTHORIZATION))) {
            received.add(new Received(
                    request.method().name(),
                    request.uri(),
                    MultiMap.caseInsensitiveMultiMap().addAll(request.headers()),
                    null,
                    null));
            request.response()
                    .setStatusCode(401)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .end(new JsonObject().put("error", "Unauthorized").encode());
            return;
        }
        request.body().onSuccess(body -> {
            JsonObject json = null;
            boolean jsonEndpoint = !request.path().startsWith("/v1/audio/");
            if (body.length() > 0 && jsonEndpoint) {
                // vLLM's request models take JSON only: anything else is a validation error (400 in vLLM's shape).
                try {
                    json = isJson(request) ? body.toJsonObject() : null;
                } catch (RuntimeException e) {
                    json = null;
                }
                if (json == null) {
                    badRequest(request.response());
                    return;
                }
            }
            JsonObject parsed = json;
            received.add(new Received(
                    request.method().name(),
                    request.uri(),
                    MultiMap.caseInsensitiveMultiMap().addAll(request.headers()),
                    json,
                    body.toString()));
            CompletableFuture<Void> waitFor = holdAnswers ? gate : CompletableFuture.completedFuture(null);
            waitFor.thenRun(() -> context.runOnContext(v -> answer(request, parsed)));
        });
    }

    private static void badRequest(HttpServerResponse response) {
        response.setStatusCode(400)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(new JsonObject()
                        .put("object", "error")
                        .put("message", "the body is not a JSON object")
                        .put("type", "BadRequestError")
                        .put("code", 400)
                        .encode());
    }

    /** FastAPI's rule: a body without a content type, or with application/json or application/*+json, is JSON. */
    private static boolean isJson(HttpServerRequest request) {
        String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
        if (type == null || type.isBlank()) {
            return true;
        }
        String media = type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return media.equals("application/json") || (media.startsWith("application/") && media.endsWith("+json"));
    }

    private void answer(HttpServerRequest request, JsonObject json) {
        HttpServerResponse response = request.response();
        String path = request.path();
        int failure = failWith;
        if (failure > 0 && path.startsWith("/v1")) {
            response.setStatusCode(failure)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .end(new JsonObject()
                            .put(
                                    "error",
                                    new JsonObject()
                                            .put("message", "the stand-in fails as told")
                                            .put("type", "InternalServerError")
                                            .putNull("param")
                                            .put("code", failure))
                            .encode());
        } else if (path.equals("/v1/empty")) {
            // An empty answer that says so: Content-Length 0, no body chunk at all.
            response.setStatusCode(200)
                    .putHeader(HttpHeaders.CONTENT_LENGTH, "0")
                    .end();
        } else if (path.equals("/v1/models")) {
            json(
                    response,
                    new JsonObject()
                            .put("object", "list")
                            .put(
                                    "data",
                                    new JsonArray()
                                            .add(new JsonObject()
                                                    .put("id", servedModel)
                                                    .put("object", "model")
                                                    .put("owned_by", "vllm"))));
        } else if (path.equals("/v1/chat/completions") && json != null && json.getBoolean("stream", false)) {
            stream(response);
        } else if (path.equals("/v1/chat/completions")) {
            json(
                    response,
                    new JsonObject()
                            .put("id", "chatcmpl-standin")
                            .put("object", "chat.completion")
                            .put("created", 1700000000L)
                            .put("model", json == null ? servedModel : json.getString("model"))
                            .put(
                                    "choices",
                                    new JsonArray()
                                            .add(new JsonObject()
                                                    .put("index", 0)
                                                    .put(
                                                            "message",
                                                            new JsonObject()
                                                                    .put("role", "assistant")
                                                                    .put("content", reply())
                                                                    .putNull("refusal"))
                                                    .putNull("logprobs")
                                                    .put("finish_reason", "stop")))
                            .put("usage", usage()));
        } else if (path.equals("/v1/embeddings") && json != null && json.containsKey("dimensions")) {
            // An answer far larger than one read: it reaches the gateway in many chunks (Content-Length framing).
            JsonArray vector = new JsonArray();
            for (int i = 0; i < json.getInteger("dimensions", 8); i++) {
                vector.add(i / 1000.0);
            }
            json(
                    response,
                    new JsonObject()
                            .put("object", "list")
                            .put("model", json.getString("model"))
                            .put(
                                    "data",
                                    new JsonArray()
                                            .add(new JsonObject()
                                                    .put("object", "embedding")
                                                    .put("index", 0)
                                                    .put("embedding", vector))));
        } else if (path.equals("/v1/completions")) {
            json(
                    response,
                    new JsonObject()
                            .put("id", "cmpl-standin")
                            .put("object", "text_completion")
                            .put("created", 1700000000L)
                            .put("model", json == null ? servedModel : json.getString("model"))
                            .put(
                                    "choices",
                                    new JsonArray()
                                            .add(new JsonObject()
                                                    .put("index", 0)
                                                    .put("text", reply())
                                                    .putNull("logprobs")
                                                    .put("finish_reason", "stop")))
                            .put("usage", usage()));
        } else {
            json(
                    response,
                    new JsonObject()
                            .put("path", path)
                            .put("query", request.query())
                            .put("method", request.method().name())
                            .put("model", json == null ? null : json.getValue("model")));
        }
    }

    private String reply() {
        return "hello from " + servedModel;
    }

    private static JsonObject usage() {
        return new JsonObject()
                .put("prompt_tokens", 3)
                .put("completion_tokens", 3)
                .put("total_tokens", 6);
    }

    private static void json(HttpServerResponse response, JsonObject body) {
        response.putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
    }

    /** vLLM's stream: a role chunk, one chunk per token, a finish chunk, {@code [DONE]}. */
    private void stream(HttpServerResponse response) {
        response.setChunked(true).putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream");
        boolean[] ended = {false};
        response.closeHandler(v -> {
            if (!ended[0]) {
                cancelledStreams.incrementAndGet();
            }
        });
        response.write(chunk(new JsonObject().put("role", "assistant").put("content", ""), null));
        Context context = Vertx.currentContext();
        gate.thenRun(() -> context.runOnContext(v -> {
            if (response.closed()) {
                return;
            }
            for (String token : new String[] {"hello", " from", " " + servedModel}) {
                response.write(chunk(new JsonObject().put("content", token), null));
            }
            response.write(chunk(new JsonObject(), "stop"));
            ended[0] = true;
            response.end("data: [DONE]\n\n");
        }));
    }

    private Buffer chunk(JsonObject delta, String finishReason) {
        JsonObject choice = new JsonObject()
                .put("index", 0)
                .put("delta", delta)
                .putNull("logprobs")
                .put("finish_reason", finishReason);
        JsonObject chunk = new JsonObject()
                .put("id", "chatcmpl-standin")
                .put("object", "chat.completion.chunk")
                .put("created", 1700000000L)
                .put("model", servedModel)
                .put("choices", new JsonArray().add(choice));
        return Buffer.buffer("data: " + chunk.encode() + "\n\n");
    }

    @Override
    public void close() throws Exception {
        release();
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
