package io.sage.studio.gateway.config;

import java.util.Optional;

import io.smallrye.config.ConfigMapping;

/** The cloud (OpenAI-compatible API) backend, as shared with the chat-switch-service ({@code studio.chat.cloud.*}). */
@ConfigMapping(prefix = "studio.chat.cloud")
public interface CloudConfig {

    /**
     * API key sent as {@code Authorization: Bearer …} to a backend of kind {@code cloud}; a secret, set it through
     * {@code STUDIO_CHAT_CLOUD_API_KEY}. Never sent to browsers, never logged.
     */
    Optional<String> apiKey();

    /**
     * Base URL of the cloud API ({@code STUDIO_CHAT_CLOUD_BASE_URL}, the same setting the chat-switch-service uses).
     * A route to a {@code kind: cloud} backend is followed only when its URL is this one (with or without
     * {@code /v1}), so that nobody who can publish a route can send chat — and the cloud key — elsewhere.
     */
    Optional<String> baseUrl();
}
