package io.sage.studio.finetune.evaluation;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.sage.studio.common.http.LazyHttpClient;
import io.sage.studio.finetune.dataset.ChatMessage;

/**
 * The real serving layer: {@code POST <chat-url>/api/chat/serving?wait=true {"model"}} on the chat-switch-service
 * (serves the model by name beside the default, which stays what {@code sage-chat} reaches), then
 * {@code POST <openai-url>/v1/chat/completions} on the gateway with the served name. Every call has a timeout; an
 * answer other than 2xx becomes a {@link ServingException} naming the status and the service's own error message
 * (never a body it did not write as an error).
 */
final class HttpServing implements ServingClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_MESSAGE = 300;

    private final LazyHttpClient http;
    private final URI chatUrl;
    private final URI openaiUrl;
    private final Duration serveTimeout;
    private final Duration requestTimeout;
    private final Optional<String> serviceAuthorization;

    /**
     * @param serviceAuthorization the services' token as a header value, sent where no user's is (and always to the
     *                             gateway, which lets any studio role chat)
     */
    HttpServing(
            String chatUrl,
            String openaiUrl,
            Duration serveTimeout,
            Duration requestTimeout,
            Optional<String> serviceAuthorization) {
        this.http = new LazyHttpClient(() -> HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build());
        this.chatUrl = URI.create(chatUrl.replaceAll("/+$", "") + "/");
        this.openaiUrl = URI.create(openaiUrl.replaceAll("/+$", "") + "/");
        this.serveTimeout = serveTimeout;
        this.requestTimeout = requestTimeout;
        this.serviceAuthorization = serviceAuthorization;
    }

    /**
     * {@inheritDoc}
     *
     * <p>With the caller's credentials first; when chat-switch refuses them (403: serving needs an admin there), the
     * gateways' load on demand ({@code POST /api/chat/serving/on-demand}, a viewer's right, with the services' token)
     * is tried, which serves a registered fine-tune by hot-loading it onto a running engine, or a model already
     * served.
     */
    @Override
    public String serve(String model, String authorization) throws ServingException {
        byte[] body = json(Map.of("model", model, "wait", true));
        String what = "the chat-switch-service could not serve " + model;
        JsonNode answer;
        try {
            answer = send(serveRequest("api/chat/serving?wait=true", body, authorization), "serving_failed", what);
        } catch (Refused e) {
            if (e.status != 403) {
                throw e;
            }
            answer = send(serveRequest("api/chat/serving/on-demand", body, null), "serving_failed", what);
        }
        String served = answer.path("model").asText("");
        if (served.isEmpty() || !"ready".equals(answer.path("state").asText(""))) {
            throw new ServingException(
                    "serving_failed",
                    "the chat-switch-service did not report " + model + " ready (state "
                            + answer.path("state").asText("?") + ")");
        }
        return served;
    }

    private HttpRequest serveRequest(String path, byte[] body, String authorization) {
        HttpRequest.Builder request = HttpRequest.newBuilder(chatUrl.resolve(path))
                .timeout(serveTimeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        Optional.ofNullable(authorization)
                .or(() -> serviceAuthorization)
                .ifPresent(a -> request.header("Authorization", a));
        return request.build();
    }

    /** A non-2xx answer (its status kept for the fallback above). */
    static final class Refused extends ServingException {

        private static final long serialVersionUID = 1L;
        final int status;

        Refused(String code, String message, int status) {
            super(code, message);
            this.status = status;
        }
    }

    @Override
    public Answer complete(String servedModel, List<ChatMessage> messages, int maxTokens) throws ServingException {
        List<Map<String, String>> wire = new ArrayList<>();
        for (ChatMessage m : messages) {
            wire.add(Map.of("role", m.role(), "content", m.content()));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", servedModel);
        body.put("messages", wire);
        body.put("max_tokens", maxTokens);
        body.put("temperature", 0);
        body.put("stream", false);
        HttpRequest.Builder request = HttpRequest.newBuilder(openaiUrl.resolve("v1/chat/completions"))
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json(body)));
        serviceAuthorization.ifPresent(a -> request.header("Authorization", a));
        long start = System.nanoTime();
        JsonNode answer = send(request.build(), "generation_failed", servedModel + " did not answer");
        long latency = (System.nanoTime() - start) / 1_000_000;
        JsonNode content = answer.path("choices").path(0).path("message").path("content");
        return new Answer(content.isTextual() ? content.asText() : "", latency);
    }

    private JsonNode send(HttpRequest request, String code, String what) throws ServingException {
        HttpResponse<byte[]> response;
        try {
            response = http.get().send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException e) {
            throw new ServingException(
                    code, what + ": no answer within " + request.timeout().orElse(null));
        } catch (IOException e) {
            throw new ServingException(
                    code,
                    what + ": " + request.uri().getHost() + ":" + request.uri().getPort() + " cannot be reached ("
                            + e.getClass().getSimpleName() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServingException(code, what + ": interrupted");
        }
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException e) {
            body = null;
        }
        if (response.statusCode() / 100 != 2 || body == null) {
            throw new Refused(
                    code, what + ": HTTP " + response.statusCode() + errorMessage(body), response.statusCode());
        }
        return body;
    }

    /** The error message of a studio error ({@code message}) or of an OpenAI one ({@code error.message}), cut short. */
    static String errorMessage(JsonNode body) {
        if (body == null) {
            return "";
        }
        JsonNode message = body.path("message");
        if (!message.isTextual()) {
            message = body.path("error").path("message");
        }
        if (!message.isTextual()) {
            return "";
        }
        String text = message.asText().replaceAll("\\s+", " ");
        return " (" + (text.length() > MAX_MESSAGE ? text.substring(0, MAX_MESSAGE) + "…" : text) + ")";
    }

    private static byte[] json(Object value) {
        try {
            return JSON.writeValueAsString(value).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
