package io.sage.studio.chat.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.common.engine.EngineApiKey;
import io.sage.studio.events.StudioJson;

/**
 * Talks to an engine's OpenAI-compatible API (vLLM's routes): health, model list, a one-token generation, runtime
 * LoRA loading, and the request gauges used to drain it. Every call to an engine carries the engines' API key
 * ({@link EngineApiKey}, {@code Authorization: Bearer}); the cloud API's calls carry the key the caller gives. Each
 * call answers a {@link Result}; nothing here throws for an HTTP error or a refused connection, and no answer is read
 * beyond {@value #MAX_BODY_BYTES} bytes.
 */
@ApplicationScoped
public class OpenAiProbe {

    /** Largest answer read (a model list or the metrics of a busy engine are far smaller). */
    static final int MAX_BODY_BYTES = 4 << 20;

    private static final Pattern GAUGE = Pattern.compile(
            "^vllm:num_requests_(running|waiting)(\\{[^}]*})?\\s+([0-9.eE+-]+)\\s*$", Pattern.MULTILINE);

    private final HttpClient http;
    private final Duration timeout;
    private final EngineApiKey engineKey;

    public OpenAiProbe(ChatConfig config, EngineApiKey engineKey) {
        this.timeout = config.probeTimeout();
        this.engineKey = engineKey;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** Outcome of one call: success, or why not (status and body, or the I/O error). */
    public record Result(boolean ok, int status, String body, String error) {

        static Result of(int status, String body) {
            boolean ok = status / 100 == 2;
            return new Result(ok, status, body, ok ? null : "HTTP " + status + ": " + abbreviate(body));
        }

        static Result failed(String error) {
            return new Result(false, 0, null, error);
        }
    }

    /** {@code GET /health} answers 200. */
    public Result health(String baseUrl) {
        return send(
                HttpRequest.newBuilder(uri(baseUrl, "/health")).timeout(timeout).GET(), engineKey());
    }

    /** Ids an engine lists at {@code GET /v1/models}, or empty when the call failed. */
    public Optional<List<String>> models(String baseUrl) {
        return models(baseUrl, engineKey());
    }

    /** Ids listed by {@code GET /v1/models} of any OpenAI-compatible API, or empty when the call failed. */
    public Optional<List<String>> models(String baseUrl, String apiKey) {
        Result result = send(
                HttpRequest.newBuilder(uri(baseUrl, "/v1/models"))
                        .timeout(timeout)
                        .GET(),
                apiKey);
        if (!result.ok()) {
            return Optional.empty();
        }
        try {
            List<String> ids = new ArrayList<>();
            for (JsonNode card : StudioJson.mapper().readTree(result.body()).path("data")) {
                ids.add(card.path("id").asText());
            }
            return Optional.of(ids);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** A one-token chat completion with {@code model} on an engine. */
    public Result smoke(String baseUrl, String model) {
        return smoke(baseUrl, model, engineKey());
    }

    /**
     * A one-token chat completion with {@code model}; ok only when the answer has a choice. vLLM answers 400 to chat
     * completions for a model without a chat template (a base model, many merged models), which still generates: then
     * the same one-token request goes to {@code /v1/completions}.
     */
    public Result smoke(String baseUrl, String model, String apiKey) {
        Map<String, Object> body = Map.of(
                "model",
                model,
                "messages",
                List.of(Map.of("role", "user", "content", "ping")),
                "max_tokens",
                1,
                "temperature",
                0);
        Result result = post(baseUrl, "/v1/chat/completions", body, apiKey);
        if (noChatTemplate(result)) {
            result = post(
                    baseUrl,
                    "/v1/completions",
                    Map.of("model", model, "prompt", "ping", "max_tokens", 1, "temperature", 0),
                    apiKey);
        }
        if (!result.ok()) {
            return result;
        }
        try {
            JsonNode choices = StudioJson.mapper().readTree(result.body()).path("choices");
            return choices.isArray() && !choices.isEmpty()
                    ? result
                    : new Result(
                            false,
                            result.status(),
                            result.body(),
                            "the answer has no choices: " + abbreviate(result.body()));
        } catch (IOException e) {
            return new Result(
                    false, result.status(), result.body(), "the answer is not JSON: " + abbreviate(result.body()));
        }
    }

    /**
     * Whether a chat completion was refused because the model has no chat template: vLLM's 400 whose message says
     * so ("… you must provide a chat template if the tokenizer does not define one").
     */
    static boolean noChatTemplate(Result result) {
        return result.status() == 400
                && result.body() != null
                && result.body().toLowerCase(Locale.ROOT).contains("chat template");
    }

    /**
     * The adapters an engine lists at {@code GET /v1/models} with the path each was loaded from (a LoRA card's
     * {@code root}; its {@code parent} is the base), or empty when the call failed.
     */
    public Optional<Map<String, String>> loraRoots(String baseUrl) {
        Result result = send(
                HttpRequest.newBuilder(uri(baseUrl, "/v1/models"))
                        .timeout(timeout)
                        .GET(),
                engineKey());
        if (!result.ok()) {
            return Optional.empty();
        }
        try {
            Map<String, String> roots = new LinkedHashMap<>();
            for (JsonNode card : StudioJson.mapper().readTree(result.body()).path("data")) {
                if (card.hasNonNull("parent") && card.path("root").isTextual()) {
                    roots.put(card.path("id").asText(), card.path("root").asText());
                }
            }
            return Optional.of(roots);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** {@code POST /v1/load_lora_adapter}. */
    public Result loadLora(String baseUrl, String name, String path) {
        return post(baseUrl, "/v1/load_lora_adapter", Map.of("lora_name", name, "lora_path", path), engineKey());
    }

    /** {@code POST /v1/unload_lora_adapter}. */
    public Result unloadLora(String baseUrl, String name) {
        return post(baseUrl, "/v1/unload_lora_adapter", Map.of("lora_name", name), engineKey());
    }

    /** Requests running plus waiting, from vLLM's Prometheus gauges; empty when the engine exposes none. */
    public Optional<Double> inFlight(String baseUrl) {
        Result result = send(
                HttpRequest.newBuilder(uri(baseUrl, "/metrics"))
                        .timeout(Duration.ofSeconds(5))
                        .GET(),
                engineKey());
        if (!result.ok()) {
            return Optional.empty();
        }
        Matcher m = GAUGE.matcher(result.body());
        double total = 0;
        boolean found = false;
        while (m.find()) {
            found = true;
            total += Double.parseDouble(m.group(3));
        }
        return found ? Optional.of(total) : Optional.empty();
    }

    private String engineKey() {
        return engineKey.getOrCreate();
    }

    private Result post(String baseUrl, String path, Object body, String apiKey) {
        byte[] json;
        try {
            json = StudioJson.mapper().writeValueAsBytes(body);
        } catch (IOException e) {
            return Result.failed(e.getMessage());
        }
        return send(
                HttpRequest.newBuilder(uri(baseUrl, path))
                        .timeout(timeout)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(json)),
                apiKey);
    }

    private Result send(HttpRequest.Builder request, String apiKey) {
        if (apiKey != null && !apiKey.isBlank()) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        try {
            HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
                if (body.length > MAX_BODY_BYTES) {
                    return Result.failed("the answer is larger than " + (MAX_BODY_BYTES >> 20) + " MiB");
                }
                return Result.of(response.statusCode(), new String(body, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            return Result.failed(e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Result.failed("interrupted");
        }
    }

    private static URI uri(String baseUrl, String path) {
        return URI.create(baseUrl.replaceAll("/+$", "") + path);
    }

    static String abbreviate(String text) {
        if (text == null) {
            return "";
        }
        String flat = text.strip().replaceAll("\\s+", " ");
        return flat.length() > 300 ? flat.substring(0, 300) + "…" : flat;
    }
}
