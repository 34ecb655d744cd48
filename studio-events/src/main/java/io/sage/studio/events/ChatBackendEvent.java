package io.sage.studio.events;

import java.time.Instant;
import java.util.List;

/**
 * The route every gateway follows: which backend answers chat requests now.
 * Key: {@link #KEY} on a compacted topic, so the last record is the truth; a gateway reads the topic from
 * the beginning at start and routes correctly before it reports ready. {@code revision} only grows.
 *
 * <p>Besides the default backend ({@code backend}, what {@code sage-chat} and requests without a model reach), the
 * route carries every other model served by name ({@code served}: {@code "model": "<served name or display name>"}
 * goes there) and, while a rollout runs, the traffic split of the default ({@code split}). Both are {@code null} in
 * records written before they existed; every gateway replica splits by the same weights because they travel here.
 *
 * <p>Secrets never travel here: for a cloud backend the gateway adds the API key from its own config.
 */
public record ChatBackendEvent(
        int schemaVersion,
        long revision,
        State state,
        Backend backend,
        Instant since,
        String switchOperationId,
        Integer retryAfterSeconds,
        List<Backend> served,
        Split split)
        implements StudioEvent {

    public static final int SCHEMA_VERSION = 1;
    public static final String TYPE = "io.sage.studio.chat.backend.v1";
    public static final String KEY = "active";

    public enum State {
        /** {@code backend} serves. */
        ACTIVE,
        /** A switch is under way with no backend serving (recreate); answer 503 with Retry-After. */
        SWITCHING,
        /** No backend configured at all. */
        NONE
    }

    public ChatBackendEvent {
        served = served == null ? List.of() : List.copyOf(served);
    }

    /** A route with only a default backend (no model served by name, no rollout). */
    public ChatBackendEvent(
            int schemaVersion,
            long revision,
            State state,
            Backend backend,
            Instant since,
            String switchOperationId,
            Integer retryAfterSeconds) {
        this(schemaVersion, revision, state, backend, since, switchOperationId, retryAfterSeconds, List.of(), null);
    }

    /**
     * The default's traffic split while a rollout runs: {@code weight} percent of the default's requests go to
     * {@code candidate}, the rest to {@code backend}. A conversation sticks to one arm: the gateway hashes the
     * rollout id with the request's {@code X-Session-Id} header, else its {@code user} field (a request with neither
     * is drawn at random).
     *
     * @param rolloutId the chat-switch rollout
     * @param candidate the new model
     * @param weight    the candidate's share in percent, 0–100
     */
    public record Split(String rolloutId, Backend candidate, int weight) {}

    /**
     * One serving backend.
     *
     * @param id              stable id of the backend (runtime-specific)
     * @param baseUrl         OpenAI-compatible base URL without {@code /v1}, e.g. {@code http://127.0.0.1:8001}
     * @param servedModelName the model name to send to the backend (the LoRA adapter's name when one is loaded)
     * @param displayName     what users see (task id / base model id)
     * @param modelPath       the model or artifact path or id the backend was given
     * @param baseModel       the base model id
     * @param kind            {@code base}, {@code finetuned} or {@code cloud}
     * @param runtime         {@code local}, {@code kubernetes} or {@code none}
     */
    public record Backend(
            String id,
            String baseUrl,
            String servedModelName,
            String displayName,
            String modelPath,
            String baseModel,
            String kind,
            String runtime) {}

    @Override
    public String key() {
        return KEY;
    }

    @Override
    public String cloudEventType() {
        return TYPE;
    }

    @Override
    public String topic() {
        return Topics.CHAT_BACKEND;
    }
}
