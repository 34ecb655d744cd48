package io.sage.studio.finetune.dataset;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** One message of a normalised chat sample: role {@code system}, {@code user} or {@code assistant}. */
@RegisterForReflection
public record ChatMessage(String role, String content) {

    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }
}
