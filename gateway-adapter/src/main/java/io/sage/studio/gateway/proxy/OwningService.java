package io.sage.studio.gateway.proxy;

import java.util.Set;

/** The services behind {@code /api}, and which one owns a path. */
public enum OwningService {
    FINETUNE("finetune-service"),
    CHAT("chat-switch-service"),
    GPU("gpu-probe-service");

    /** Paths under {@code /api/finetune} that the chat-switch-service answers (the current model and switches). */
    private static final Set<String> CHAT_PATHS_UNDER_FINETUNE = Set.of(
            "/api/finetune/switch-model", "/api/finetune/use-as-backend", "/api/finetune/current-model");

    private final String serviceName;

    OwningService(String serviceName) {
        this.serviceName = serviceName;
    }

    /** The service's name as users know it. */
    public String serviceName() {
        return serviceName;
    }

    /** The owner of a normalized path under {@code /api/finetune}, {@code /api/chat} or {@code /api/system}. */
    public static OwningService of(String path) {
        if (CHAT_PATHS_UNDER_FINETUNE.contains(path) || under(path, "/api/chat")) {
            return CHAT;
        }
        if (under(path, "/api/system")) {
            return GPU;
        }
        return FINETUNE;
    }

    private static boolean under(String path, String prefix) {
        return path.equals(prefix) || path.startsWith(prefix + "/");
    }
}
