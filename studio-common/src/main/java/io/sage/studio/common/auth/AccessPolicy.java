package io.sage.studio.common.auth;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

import io.sage.studio.common.auth.tables.ChatSwitchAccess;
import io.sage.studio.common.auth.tables.FinetuneAccess;
import io.sage.studio.common.auth.tables.GatewayAccess;
import io.sage.studio.common.auth.tables.GpuProbeAccess;

/**
 * Who may call what: the shared rules every service starts and ends with, and between them each service's own table
 * ({@link ServiceAccess}, in {@code io.sage.studio.common.auth.tables}). The first matching rule wins; {@link AuthFilter}
 * applies it before any route (REST resources, SSE streams, the gateway's Vert.x routes), so endpoints carry no
 * annotations. Every service enforces every table: the gateway because it checks a request before it proxies it to
 * the service that owns the path, the services because a table only names their own paths (another service's
 * rules never match a path they serve).
 *
 * <p>Deny by default: an endpoint no table lists needs a viewer to read under {@code /api} and {@code /q}, and an
 * admin for any change.
 */
public final class AccessPolicy {

    /** What a request needs. */
    public enum Access {
        /** Nothing: health probes and the web UI's files. */
        OPEN,
        /** The OpenAI-compatible API: an API key from {@code studio.auth.openai-api-keys-file} or any studio role. */
        CHAT_API,
        /** At least {@link StudioRole#VIEWER}. */
        VIEWER,
        /** At least {@link StudioRole#TRAINER}. */
        TRAINER,
        /** {@link StudioRole#ADMIN}. */
        ADMIN;

        /** The least role that passes; {@code null} for {@link #OPEN}. */
        public StudioRole minimumRole() {
            return switch (this) {
                case OPEN -> null;
                case CHAT_API, VIEWER -> StudioRole.VIEWER;
                case TRAINER -> StudioRole.TRAINER;
                case ADMIN -> StudioRole.ADMIN;
            };
        }
    }

    /** The services' own tables, in the order they are consulted (they never overlap). */
    public static final List<ServiceAccess> SERVICES =
            List.of(GatewayAccess.TABLE, FinetuneAccess.TABLE, ChatSwitchAccess.TABLE, GpuProbeAccess.TABLE);

    /** Before any service's table. */
    private static final List<AccessRule> FIRST = List.of(
            // Probes carry no credentials. Metrics (names of models, tasks, users' traffic) need a viewer: Prometheus
            // scrapes with a token (the chart's README shows how).
            AccessRule.read("/q/health", Access.OPEN),
            AccessRule.read("/q/health/**", Access.OPEN),
            // CORS preflights never change anything and carry no credentials.
            new AccessRule(Set.of("OPTIONS"), "/**", Access.OPEN));

    /** After every service's table: the defaults. */
    private static final List<AccessRule> LAST = List.of(
            // Reading the API and the service's own documents (OpenAPI).
            AccessRule.read("/api/**", Access.VIEWER),
            AccessRule.read("/q/**", Access.VIEWER),
            // The gateway's web UI: the page loads without a token and then asks for one.
            AccessRule.read("/**", Access.OPEN),
            // Any other change (settings, endpoints added later) needs an admin until a table lists it.
            AccessRule.any("/**", Access.ADMIN));

    private static final List<AccessRule> RULES = Stream.of(
                    FIRST.stream(), SERVICES.stream().flatMap(service -> service.rules().stream()), LAST.stream())
            .flatMap(rules -> rules)
            .toList();

    private AccessPolicy() {}

    /** The access a request with this method and (already normalised, see {@link #canonicalPath}) path needs. */
    public static Access required(String method, String path) {
        String verb = method.toUpperCase(Locale.ROOT);
        for (AccessRule rule : RULES) {
            if (rule.matches(verb, path)) {
                return rule.access();
            }
        }
        throw new IllegalStateException("the last rule matches every request");
    }

    /**
     * The path as the policy sees it: matrix parameters ({@code ;…}) dropped from every segment, repeated and
     * trailing slashes removed, so that {@code /api;x/finetune//create/} is judged as {@code /api/finetune/create},
     * the resource the router would pick for it.
     */
    public static String canonicalPath(String path) {
        if (path == null || path.isEmpty()) {
            return "/";
        }
        StringBuilder canonical = new StringBuilder();
        for (String segment : path.split("/")) {
            int matrix = segment.indexOf(';');
            String name = matrix >= 0 ? segment.substring(0, matrix) : segment;
            if (!name.isEmpty()) {
                canonical.append('/').append(name);
            }
        }
        return canonical.isEmpty() ? "/" : canonical.toString();
    }
}
