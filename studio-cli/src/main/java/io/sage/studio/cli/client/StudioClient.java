package io.sage.studio.cli.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.sage.studio.cli.api.ApiError;
import io.sage.studio.events.StudioJson;

/**
 * The studio's REST API as the CLI uses it, through the gateway ({@code --url}, {@code SAGE_STUDIO_URL},
 * default {@code http://localhost:8080}), with an optional bearer token ({@code --token}, {@code SAGE_STUDIO_TOKEN}).
 * Answers are read as the typed records of {@code io.sage.studio.cli.api}; the untyped {@link JsonNode} methods
 * exist for {@code --json}, which prints the server's answer as it came (fields the CLI does not read included).
 */
public final class StudioClient {

    private static final ObjectMapper JSON = StudioJson.mapper();

    private final String baseUrl;
    private final String token;
    private final HttpClient http;

    public StudioClient(String baseUrl, String token) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.token = token == null || token.isBlank() ? null : token.trim();
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    public String baseUrl() {
        return baseUrl;
    }

    /** The answer as it came (for {@code --json}); read it with {@link #as}. */
    public JsonNode get(String path) {
        return json(send(request(path).GET().build(), HttpResponse.BodyHandlers.ofInputStream()));
    }

    public <T> T get(String path, Class<T> type) {
        return as(get(path), type);
    }

    /** The answer as it came (for {@code --json}); read it with {@link #as}. */
    public JsonNode post(String path, Object body) {
        return json(send(
                request(path)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes(body)))
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream()));
    }

    public <T> T post(String path, Object body, Class<T> type) {
        return as(post(path, body), type);
    }

    /** {@code PATCH} with a JSON body: the answer as it came (for {@code --json}); read it with {@link #as}. */
    public JsonNode patch(String path, Object body) {
        return json(send(
                request(path)
                        .header("Content-Type", "application/json")
                        .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(bytes(body)))
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream()));
    }

    /** Reads an answer as one of the {@code cli.api} records; a shape it cannot read is a {@code bad_response}. */
    public static <T> T as(JsonNode json, Class<T> type) {
        try {
            return JSON.treeToValue(json, type);
        } catch (IOException | IllegalArgumentException e) {
            throw badResponse(type.getSimpleName(), e);
        }
    }

    /** {@link #as(JsonNode, Class)} for generic types such as {@code List<TaskView>}. */
    public static <T> T as(JsonNode json, TypeReference<T> type) {
        try {
            return JSON.readerFor(type).readValue(json);
        } catch (IOException | IllegalArgumentException e) {
            throw badResponse(type.getType().getTypeName(), e);
        }
    }

    /** Reads one JSON text (an SSE event's data) as a {@code cli.api} record. */
    public static <T> T parse(String json, Class<T> type) throws IOException {
        return JSON.readValue(json, type);
    }

    private static StudioClientException badResponse(String type, Exception e) {
        return new StudioClientException(
                0,
                "bad_response",
                "the studio answered something the CLI cannot read as " + type + ": "
                        + e.getMessage().lines().findFirst().orElse(""),
                List.of(),
                false);
    }

    /** The answer as it came (for {@code --json}); read it with {@link #as}. */
    public JsonNode delete(String path) {
        HttpResponse<InputStream> response =
                send(request(path).DELETE().build(), HttpResponse.BodyHandlers.ofInputStream());
        return json(response);
    }

    /**
     * Upload of one file as the whole request body ({@code application/x-ndjson}, its name in {@code ?filename=}),
     * streamed from disk: the studio validates it while it arrives, without the temp file a multipart form costs.
     */
    public <T> T upload(String path, Path file, Class<T> type) {
        return as(upload(path, file), type);
    }

    private JsonNode upload(String path, Path file) {
        if (!Files.isRegularFile(file)) {
            throw new StudioClientException(0, "file_not_found", "no such file: " + file, List.of(), false);
        }
        String name = file.getFileName().toString();
        try {
            return json(send(
                    request(path + (path.contains("?") ? "&" : "?") + "filename=" + encode(name))
                            .header("Content-Type", "application/x-ndjson")
                            .timeout(Duration.ofMinutes(30))
                            .POST(HttpRequest.BodyPublishers.ofFile(file))
                            .build(),
                    HttpResponse.BodyHandlers.ofInputStream()));
        } catch (IOException e) {
            throw new StudioClientException(
                    0, "file_unreadable", "cannot read " + file + ": " + e.getMessage(), List.of(), false);
        }
    }

    /** Streams a response body into {@code target}; returns the bytes written. */
    public long download(String path, Path target) {
        HttpResponse<InputStream> response = send(
                request(path).timeout(Duration.ofHours(2)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() >= 400) {
            json(response);
        }
        Path tmp = target.resolveSibling("." + target.getFileName() + ".part");
        try (InputStream in = response.body()) {
            long size = Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            return size;
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
            throw new StudioClientException(
                    0, "download_failed", "download interrupted: " + e.getMessage(), List.of(), false);
        }
    }

    /** Plain text ({@code text/plain} endpoints such as a log tail). */
    public String text(String path) {
        HttpResponse<InputStream> response =
                send(request(path).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() >= 400) {
            json(response);
        }
        try (InputStream in = response.body()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw StudioClientException.unreachable(baseUrl, e.getMessage());
        }
    }

    /**
     * Reads a Server-Sent-Events stream, calling {@code onEvent} per event until the stream ends or the
     * consumer returns {@code false}.
     */
    public void stream(String path, SseListener onEvent) {
        HttpResponse<InputStream> response = send(
                request(path)
                        .header("Accept", "text/event-stream")
                        .timeout(Duration.ofDays(1))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() >= 400) {
            json(response);
        }
        readEvents(response.body(), onEvent);
    }

    /** POSTs a JSON body and reads the SSE answer (OpenAI streaming); returns the response headers' model. */
    public String streamPost(String path, Object body, SseListener onEvent) {
        HttpResponse<InputStream> response = send(
                request(path)
                        .header("Content-Type", "application/json")
                        .header("Accept", "text/event-stream")
                        .timeout(Duration.ofMinutes(30))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes(body)))
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() >= 400) {
            json(response);
        }
        readEvents(response.body(), onEvent);
        return response.headers().firstValue("X-Studio-Model").orElse(null);
    }

    /** One server-sent event. */
    public record SseEvent(String event, String data) {}

    /** Receives events; returns {@code false} to stop reading. */
    @FunctionalInterface
    public interface SseListener {
        boolean onEvent(SseEvent event);
    }

    private static void readEvents(InputStream body, SseListener listener) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String event = "message";
            StringBuilder data = new StringBuilder();
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data.length() > 0 && !listener.onEvent(new SseEvent(event, data.toString()))) {
                        return;
                    }
                    event = "message";
                    data.setLength(0);
                } else if (line.startsWith("event:")) {
                    event = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    if (data.length() > 0) {
                        data.append('\n');
                    }
                    data.append(line.substring(5).startsWith(" ") ? line.substring(6) : line.substring(5));
                }
            }
            if (data.length() > 0) {
                listener.onEvent(new SseEvent(event, data.toString()));
            }
        } catch (IOException e) {
            throw new StudioClientException(
                    0, "stream_broken", "the stream broke off: " + e.getMessage(), List.of(), true);
        }
    }

    public static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder =
                HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofMinutes(5));
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder;
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw StudioClientException.unreachable(baseUrl, "connection refused or timed out");
        } catch (IOException e) {
            throw StudioClientException.unreachable(
                    baseUrl, e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StudioClientException(0, "interrupted", "interrupted", List.of(), false);
        }
    }

    private JsonNode json(HttpResponse<InputStream> response) {
        byte[] body;
        try (InputStream in = response.body()) {
            body = in.readAllBytes();
        } catch (IOException e) {
            throw StudioClientException.unreachable(baseUrl, e.getMessage());
        }
        JsonNode node;
        try {
            node = body.length == 0 ? JSON.nullNode() : JSON.readTree(body);
        } catch (IOException e) {
            node = null;
        }
        if (response.statusCode() >= 400) {
            throw error(response.statusCode(), node, new String(body, StandardCharsets.UTF_8));
        }
        if (node == null) {
            throw new StudioClientException(
                    response.statusCode(),
                    "bad_response",
                    "the studio answered something that is not JSON",
                    List.of(),
                    false);
        }
        return node;
    }

    static StudioClientException error(int status, JsonNode node, String raw) {
        JsonNode error = node == null ? null : node.path("error");
        if (error == null || error.isMissingNode() || error.isNull()) {
            String text = raw.isBlank() ? "HTTP " + status : raw.strip();
            return new StudioClientException(
                    status,
                    "http_" + status,
                    "HTTP " + status + ": " + (text.length() > 300 ? text.substring(0, 300) + "…" : text),
                    List.of(),
                    status == 502 || status == 503);
        }
        if (error.isTextual()) {
            return new StudioClientException(status, "http_" + status, error.asText(), List.of(), false);
        }
        ApiError body;
        try {
            body = JSON.treeToValue(error, ApiError.class);
        } catch (IOException | IllegalArgumentException e) {
            body = new ApiError(null, null, List.of());
        }
        List<String> details = new ArrayList<>();
        body.details().forEach(d -> details.add(describeDetail(d)));
        String message = body.message() != null ? body.message() : "HTTP " + status;
        return new StudioClientException(
                status, body.code() != null ? body.code() : "http_" + status, message, details, false);
    }

    /** A record error, a field error, or (any other shape) the detail as it came. */
    private static String describeDetail(JsonNode raw) {
        if (raw.isObject()) {
            ApiError.Detail d = as(raw, ApiError.Detail.class);
            if (d.line() != null) {
                return "line " + d.line() + ": " + orEmpty(d.code()) + " — " + orEmpty(d.message());
            }
            if (d.field() != null) {
                return d.field() + ": " + orEmpty(d.message());
            }
        }
        return raw.isTextual() ? raw.asText() : raw.toString();
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    private static byte[] bytes(Object body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
