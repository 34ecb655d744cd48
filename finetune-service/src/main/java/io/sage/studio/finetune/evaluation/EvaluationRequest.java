package io.sage.studio.finetune.evaluation;

import java.net.URI;
import java.util.regex.Pattern;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.sage.studio.common.error.StudioException;

/**
 * Body of {@code POST /api/finetune/tasks/{id}/evaluations}; every field has a default.
 *
 * @param evalFile   a dataset id or a JSON/JSONL file, checked like a task's {@code dataset_file}; unset: the task's
 *                   validation split, else a held-out 5 % of its dataset
 * @param baseline   {@code base} (the task's base model, the default) or a model id, served name or task id
 * @param maxSamples the most samples (1–500, default 50)
 * @param maxTokens  the answer length limit (1–4096, default 256)
 * @param judge      an OpenAI-compatible model that compares the two answers pairwise (optional)
 */
@RegisterForReflection
public record EvaluationRequest(
        String evalFile, String baseline, Integer maxSamples, Integer maxTokens, JudgeRequest judge) {

    public static final String BASE = "base";
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

    /**
     * The judge: {@code base_url} of an OpenAI-compatible API ({@code …/v1}; {@code /chat/completions} is appended),
     * the {@code model} to ask, and the environment variable of the finetune-service that holds its API key
     * ({@code api_key_env}; the key itself never travels through the API and is never stored or logged).
     */
    @RegisterForReflection
    public record JudgeRequest(String baseUrl, String model, String apiKeyEnv) {}

    /** The request with its defaults, or 400 {@code invalid_field} naming the first bad field. */
    public Valid validated() {
        String base = baseline == null || baseline.isBlank() ? BASE : baseline.strip();
        if (base.length() > 512) {
            throw StudioException.invalidField("baseline", "at most 512 characters");
        }
        int samples = maxSamples == null ? 50 : maxSamples;
        if (samples < 1 || samples > 500) {
            throw StudioException.invalidField("max_samples", "max_samples must be between 1 and 500");
        }
        int tokens = maxTokens == null ? 256 : maxTokens;
        if (tokens < 1 || tokens > 4096) {
            throw StudioException.invalidField("max_tokens", "max_tokens must be between 1 and 4096");
        }
        JudgeRequest j = judge;
        if (j != null) {
            URI uri;
            try {
                uri = j.baseUrl() == null ? null : URI.create(j.baseUrl().strip());
            } catch (IllegalArgumentException e) {
                uri = null;
            }
            if (uri == null
                    || uri.getHost() == null
                    || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                throw StudioException.invalidField(
                        "judge.base_url", "an http(s) URL such as https://api.openai.com/v1");
            }
            if (j.model() == null || j.model().isBlank() || j.model().length() > 256) {
                throw StudioException.invalidField("judge.model", "name the judge model (at most 256 characters)");
            }
            if (j.apiKeyEnv() != null
                    && !j.apiKeyEnv().isBlank()
                    && !ENV_NAME.matcher(j.apiKeyEnv()).matches()) {
                throw StudioException.invalidField("judge.api_key_env", "an environment variable name");
            }
            String env = j.apiKeyEnv() == null || j.apiKeyEnv().isBlank() ? null : j.apiKeyEnv();
            if (env != null && System.getenv(env) == null) {
                throw StudioException.invalidField(
                        "judge.api_key_env", "the finetune-service has no environment variable " + env);
            }
            j = new JudgeRequest(
                    j.baseUrl().strip().replaceAll("/+$", ""), j.model().strip(), env);
        }
        String file = evalFile == null || evalFile.isBlank() ? null : evalFile.strip();
        return new Valid(file, base, samples, tokens, j);
    }

    /** A checked request. */
    public record Valid(String evalFile, String baseline, int maxSamples, int maxTokens, JudgeRequest judge) {}
}
