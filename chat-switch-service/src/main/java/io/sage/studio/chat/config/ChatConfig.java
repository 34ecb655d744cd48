package io.sage.studio.chat.config;

import io.smallrye.config.ConfigMapping;

/** Settings of the chat-switch-service ({@code studio.chat.*}); every key can be set by its environment variable. */
@ConfigMapping(prefix = "studio.chat")
public interface ChatConfig {
}
