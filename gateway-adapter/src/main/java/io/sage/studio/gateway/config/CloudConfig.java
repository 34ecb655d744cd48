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
}
