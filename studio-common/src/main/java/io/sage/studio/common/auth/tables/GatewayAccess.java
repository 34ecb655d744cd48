package io.sage.studio.common.auth.tables;

import static io.sage.studio.common.auth.AccessRule.any;

import java.util.List;

import io.sage.studio.common.auth.AccessPolicy.Access;
import io.sage.studio.common.auth.ServiceAccess;

/**
 * The gateway's own paths: the OpenAI-compatible API (an API key or any studio role) and its status page (a
 * viewer, the default for reads). Its web UI's files are open by the shared default for reads outside
 * {@code /api} and {@code /q}.
 */
public final class GatewayAccess {

    public static final ServiceAccess TABLE = new ServiceAccess(
            "gateway-adapter", List.of("/v1/**", "/api/gateway/**"), List.of(any("/v1/**", Access.CHAT_API)));

    private GatewayAccess() {}
}
