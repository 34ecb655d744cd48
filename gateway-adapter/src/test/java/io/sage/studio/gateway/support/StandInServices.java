package io.sage.studio.gateway.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.sage.studio.gateway.proxy.OwningService;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Stand-ins for the three services behind {@code /api}, each an HTTP server on its own port, plus a random cloud
 * API key: the gateway is configured with their URLs before it starts. They echo what they receive, stream SSE
 * on {@code …/stream} (holding after the first event until released), count upload bytes as they arrive and
 * stream a download. The chat-switch stand-in answers {@code POST /api/chat/serving/on-demand} (the gateway's load on demand)
 * as the service does for a model it does not know, 400 {@code unknown_model}, unless a test
 * {@linkplain Service#serving answers it otherwise}.
 */
public class StandInServices implements QuarkusTestResourceLifecycleManager {

    /** The cloud API key the gateway is given; generated per run, it exists in no file. */
    public static final String CLOUD_API_KEY = "sk-test-" + UUID.randomUUID();
    /** Size of the stand-in download. */
    public static final int DOWNLOAD_BYTES = 4 * 1024 * 1024;

    private static final Map<OwningService, Service> SERVICES = new EnumMap<>(OwningService.class);
    private static Path home;
    private static StandInBackend cloud;

    @Override
    public synchronized Map<String, String> start() {
        if (SERVICES.isEmpty()) {
            for (OwningService owner : OwningService.values()) {
                Service service = new Service(owner);
                service.listen(0);
                SERVICES.put(owner, service);
            }
        }
        return Map.of(
                "studio.services.finetune-url",
                        SERVICES.get(OwningService.FINETUNE).url(),
                "studio.services.chat-url", SERVICES.get(OwningService.CHAT).url(),
                "studio.services.gpu-url", SERVICES.get(OwningService.GPU).url(),
                "studio.chat.cloud.api-key", CLOUD_API_KEY,
                "studio.chat.cloud.base-url", cloud().baseUrl() + "/v1",
                "studio.home", home().toString());
    }

    /** The stand-in cloud API: the only place a {@code kind: cloud} route may go ({@code studio.chat.cloud.base-url}). */
    public static synchronized StandInBackend cloud() {
        if (cloud == null) {
            cloud = StandInBackend.start("gpt-4o-mini");
        }
        return cloud;
    }

    /** The gateway's studio home in tests: fresh per run, with no engine API key file unless a test writes one. */
    public static synchronized Path home() {
        if (home == null) {
            try {
                home = Files.createTempDirectory("gateway-studio-home");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return home;
    }

    @Override
    public void stop() {
        // The stand-ins live as long as the JVM so that several test classes share them.
    }

    public static Service service(OwningService owner) {
        return SERVICES.get(owner);
    }

    /** One stand-in service. */
    public static final class Service {

        /** One request as the service saw it. */
        public record Received(String method, String uri, String authorization, String forwardedFor) {}

        private final OwningService owner;
        private final List<Received> received = new CopyOnWriteArrayList<>();
        private final AtomicLong uploadedBytes = new AtomicLong();
        private volatile CompletableFuture<Void> gate = CompletableFuture.completedFuture(null);
        private volatile CompletableFuture<Void> callGate = CompletableFuture.completedFuture(null);
        private volatile Handler<HttpServerRequest> serving = Service::unknownModel;
        private volatile HttpServer server;
        private volatile int port;

        Service(OwningService owner) {
            this.owner = owner;
        }

        void listen(int wanted) {
            try {
                server = TestVertx.get()
                        .createHttpServer()
                        .requestHandler(this::handle)
                        .listen(wanted, "127.0.0.1")
                        .toCompletionStage()
                        .toCompletableFuture()
                        .get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("cannot start the stand-in " + owner.serviceName(), e);
            }
            port = server.actualPort();
        }

        public String url() {
            return "http://127.0.0.1:" + port;
        }

        public List<Received> received() {
            return received;
        }

        public Received last() {
            return received.get(received.size() - 1);
        }

        /** Upload bytes received so far by the request in progress. */
        public long uploadedBytes() {
            return uploadedBytes.get();
        }

        /** From now on, {@code POST /api/chat/serving/on-demand} is answered by {@code handler} ({@code null}: 400 unknown_model). */
        public void serving(Handler<HttpServerRequest> handler) {
            serving = handler == null ? Service::unknownModel : handler;
        }

        private static void unknownModel(HttpServerRequest request) {
            request.body()
                    .onSuccess(body -> request.response()
                            .setStatusCode(400)
                            .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                            .end(new JsonObject()
                                    .put(
                                            "error",
                                            new JsonObject()
                                                    .put("code", "unknown_model")
                                                    .put("message", "no model, task or path is named so")
                                                    .put("details", new JsonArray()))
                                    .encode()));
        }

        public void holdStreams() {
            gate = new CompletableFuture<>();
        }

        /** From now on, calls to {@code …/slow} wait for {@link #release()} before they are answered. */
        public void holdCalls() {
            callGate = new CompletableFuture<>();
        }

        public void release() {
            gate.complete(null);
            callGate.complete(null);
        }

        /** Stops listening (the service is down) until {@link #restart()}. */
        public void stop() throws Exception {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }

        /** Listens again on the same port. */
        public void restart() {
            listen(port);
        }

        private void handle(HttpServerRequest request) {
            received.add(new Received(
                    request.method().name(),
                    request.uri(),
                    request.getHeader(HttpHeaders.AUTHORIZATION),
                    request.getHeader("X-Forwarded-For")));
            String path = request.path();
            if (owner == OwningService.CHAT
                    && path.equals("/api/chat/serving/on-demand")
                    && request.method() == HttpMethod.POST) {
                serving.handle(request);
            } else if (path.endsWith("/stream")) {
                stream(request.response());
            } else if (path.endsWith("/upload-dataset")) {
                upload(request);
            } else if (path.endsWith("/download")) {
                download(request.response());
            } else if (path.endsWith("/slow")) {
                var context = Vertx.currentContext();
                callGate.thenRun(() -> context.runOnContext(v -> request.response()
                        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                        .end(new JsonObject()
                                .put("service", owner.serviceName())
                                .put("path", path)
                                .encode())));
            } else {
                request.body()
                        .onSuccess(body -> request.response()
                                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                                .end(new JsonObject()
                                        .put("service", owner.serviceName())
                                        .put("method", request.method().name())
                                        .put("path", path)
                                        .put("query", request.query())
                                        .put("body", body.toString())
                                        .encode()));
            }
        }

        private void stream(HttpServerResponse response) {
            var context = Vertx.currentContext();
            response.setChunked(true).putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream");
            response.write("event: task\ndata: {\"n\":1}\n\n");
            gate.thenRun(() -> context.runOnContext(v -> {
                if (!response.closed()) {
                    response.end("event: task\ndata: {\"n\":2}\n\n");
                }
            }));
        }

        private void upload(HttpServerRequest request) {
            uploadedBytes.set(0);
            MessageDigest sha = sha256();
            request.handler(chunk -> {
                sha.update(chunk.getBytes());
                uploadedBytes.addAndGet(chunk.length());
            });
            request.endHandler(v -> request.response()
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .end(new JsonObject()
                            .put("bytes", uploadedBytes.get())
                            .put("sha256", HexFormat.of().formatHex(sha.digest()))
                            .encode()));
        }

        private static void download(HttpServerResponse response) {
            response.putHeader(HttpHeaders.CONTENT_TYPE, "application/gzip")
                    .putHeader("Content-Disposition", "attachment; filename=\"model.tar.gz\"")
                    .putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(DOWNLOAD_BYTES));
            writeDownload(response, 0);
        }

        private static void writeDownload(HttpServerResponse response, int offset) {
            int position = offset;
            while (position < DOWNLOAD_BYTES && !response.writeQueueFull()) {
                response.write(downloadChunk(position));
                position += 65536;
            }
            if (position >= DOWNLOAD_BYTES) {
                response.end();
            } else {
                int next = position;
                response.drainHandler(v -> writeDownload(response, next));
            }
        }

        /** 64 KiB of the download at {@code offset}: byte i is {@code i % 251}. */
        public static Buffer downloadChunk(int offset) {
            byte[] bytes = new byte[65536];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) ((offset + i) % 251);
            }
            return Buffer.buffer(bytes);
        }
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
