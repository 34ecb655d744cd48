package io.sage.studio.finetune.evaluation;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * An OpenAI-compatible model asked which of two answers is better ({@code POST <base_url>/chat/completions}). The
 * answers are shown as A and B in an order the caller draws at random for each sample, so a judge that prefers the
 * first (or second) position does not favour one arm. The API key comes from an environment variable of this
 * service, is sent only as the bearer token and is never logged or stored.
 */
final class PairwiseJudge {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String INSTRUCTIONS = "You compare two answers to the same conversation. Judge which answer "
            + "better responds to the last user message: correct, helpful, and consistent with the reference answer "
            + "when one is given. Reply with exactly one word: A, B or TIE.";

    private final HttpClient http;
    private final URI endpoint;
    private final String model;
    private final String apiKey;
    private final Duration timeout;

    /** @param apiKey the key, or {@code null} for an API without one */
    PairwiseJudge(String baseUrl, String model, String apiKey, Duration timeout) {
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        this.endpoint = URI.create(baseUrl + "/chat/completions");
        this.model = model;
        this.apiKey = apiKey;
        this.timeout = timeout;
    }

    /**
     * Which arm won: {@code candidate}, {@code baseline} or {@code tie} (also for an answer that names neither).
     *
     * @param candidateFirst show the candidate's answer as A
     */
    String compare(String prompt, String reference, String candidate, String baseline, boolean candidateFirst)
            throws ServingClient.ServingException {
        String a = candidateFirst ? candidate : baseline;
        String b = candidateFirst ? baseline : candidate;
        String question = "Conversation (last user message):\n" + prompt + "\n\nReference answer:\n" + reference
                + "\n\nAnswer A:\n" + a + "\n\nAnswer B:\n" + b + "\n\nWhich is better: A, B or TIE?";
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", model);
        body.put(
                "messages",
                List.of(
                        Map.of("role", "system", "content", INSTRUCTIONS),
                        Map.of("role", "user", "content", question)));
        body.put("max_tokens", 4);
        body.put("temperature", 0);
        HttpRequest.Builder request;
        try {
            request = HttpRequest.newBuilder(endpoint)
                    .timeout(timeout)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        if (apiKey != null) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new ServingClient.ServingException(
                    "judge_failed",
                    "the judge at " + endpoint.getHost() + " cannot be reached ("
                            + e.getClass().getSimpleName() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServingClient.ServingException("judge_failed", "interrupted");
        }
        JsonNode answer;
        try {
            answer = JSON.readTree(response.body());
        } catch (IOException e) {
            answer = null;
        }
        if (response.statusCode() / 100 != 2 || answer == null) {
            throw new ServingClient.ServingException(
                    "judge_failed",
                    "the judge " + model + " answered HTTP " + response.statusCode()
                            + HttpServing.errorMessage(answer));
        }
        String word =
                answer.path("choices").path(0).path("message").path("content").asText("");
        return winner(word, candidateFirst);
    }

    /** The arm the judge's reply names; {@code tie} for a tie or a reply that names neither. */
    static String winner(String reply, boolean candidateFirst) {
        String w =
                reply.strip().toUpperCase(Locale.ROOT).replaceAll("[^A-Z]", " ").strip();
        String first = w.isEmpty() ? "" : w.split(" ")[0];
        if (first.equals("A")) {
            return candidateFirst ? "candidate" : "baseline";
        }
        if (first.equals("B")) {
            return candidateFirst ? "baseline" : "candidate";
        }
        return "tie";
    }
}
