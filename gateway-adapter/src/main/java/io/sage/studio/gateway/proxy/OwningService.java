package io.sage.studio.gateway.proxy;

import io.sage.studio.common.auth.tables.ChatSwitchAccess;
import io.sage.studio.common.auth.tables.GpuProbeAccess;

/**
 * The services behind {@code /api}, and which one owns a path: the paths each service's access table says it owns
 * (the chat-switch-service also answers three paths under {@code /api/finetune}); the finetune-service the rest,
 * {@code /api/webhooks} and {@code /api/audit} included.
 */
public enum OwningService {
    FINETUNE("finetune-service"),
    CHAT("chat-switch-service"),
    GPU("gpu-probe-service");

    private final String serviceName;

    OwningService(String serviceName) {
        this.serviceName = serviceName;
    }

    /** The service's name as users know it. */
    public String serviceName() {
        return serviceName;
    }

    /** The owner of a normalized path under one of the proxied {@code /api} prefixes. */
    public static OwningService of(String path) {
        if (ChatSwitchAccess.TABLE.owns(path)) {
            return CHAT;
        }
        if (GpuProbeAccess.TABLE.owns(path)) {
            return GPU;
        }
        return FINETUNE;
    }
}
