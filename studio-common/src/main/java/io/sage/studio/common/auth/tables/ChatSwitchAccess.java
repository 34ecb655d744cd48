package io.sage.studio.common.auth.tables;

import static io.sage.studio.common.auth.AccessRule.any;
import static io.sage.studio.common.auth.AccessRule.post;

import java.util.List;

import io.sage.studio.common.auth.AccessPolicy.Access;
import io.sage.studio.common.auth.ServiceAccess;

/**
 * The chat-switch-service: switching what the chat endpoint serves needs an admin (also spelled out here, though
 * it is the default for changes, so that a later default cannot open it); reading the current model and the
 * switches needs a viewer. The gateways' load on demand ({@code /api/chat/serving/on-demand}: only a registered
 * fine-tune hot-loaded into room an engine has) needs a viewer, so the gateways call it with the services' token.
 */
public final class ChatSwitchAccess {

    public static final ServiceAccess TABLE = new ServiceAccess(
            "chat-switch-service",
            List.of(
                    "/api/chat/**",
                    "/api/finetune/switch-model",
                    "/api/finetune/use-as-backend",
                    "/api/finetune/current-model"),
            List.of(
                    post("/api/finetune/switch-model", Access.ADMIN),
                    post("/api/finetune/use-as-backend", Access.ADMIN),
                    post("/api/chat/serving/on-demand", Access.VIEWER),
                    any("/api/chat/switch/**", Access.ADMIN)));

    private ChatSwitchAccess() {}
}
