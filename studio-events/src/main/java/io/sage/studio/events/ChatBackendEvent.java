package io.sage.studio.events;

import java.time.Instant;

/**
 * The route every gateway follows: which backend answers chat requests now.
 * Key: {@link #KEY} on a compacted topic, so the last record is the truth; a gateway reads the topic from
 * the beginning at start and routes correctly before it reports ready. {@code revision} only grows.
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
        Integer retryAfterSeconds)
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
