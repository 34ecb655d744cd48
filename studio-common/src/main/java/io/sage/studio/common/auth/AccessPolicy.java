package io.sage.studio.common.auth;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Who may call what, for every service, in one table: (methods, path pattern) to the access a request needs. The
 * first matching rule wins; {@link AuthFilter} applies it before any route (REST resources, SSE streams, the
 * gateway's Vert.x routes), so endpoints carry no annotations. Patterns: {@code *} is one path segment,
 * {@code /**} any rest of the path.
 *
 * <p>Ownership is finer than a path: a trainer reaches {@code DELETE /api/finetune/tasks/*} here, and the
 * finetune-service lets it delete only its own tasks ({@link StudioPrincipal#requireOwnerOrAdmin}).
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

    private static final Set<String> READ = Set.of("GET", "HEAD");
    private static final Set<String> POST = Set.of("POST");
    private static final Set<String> DELETE = Set.of("DELETE");
    private static final Set<String> ANY = Set.of();

    private static final List<Rule> RULES = List.of(
            // Probes carry no credentials. Metrics (names of models, tasks, users' traffic) need a viewer: Prometheus
            // scrapes with a token (the chart's README shows how).
            new Rule(READ, "/q/health", Access.OPEN),
            new Rule(READ, "/q/health/**", Access.OPEN),
            // CORS preflights never change anything and carry no credentials.
            new Rule(Set.of("OPTIONS"), "/**", Access.OPEN),
            new Rule(ANY, "/v1/**", Access.CHAT_API),
            // Training: uploading data and starting, cancelling or deleting (own) tasks.
            new Rule(POST, "/api/finetune/upload-dataset", Access.TRAINER),
            new Rule(POST, "/api/finetune/prepare-sage-docs", Access.TRAINER),
            new Rule(POST, "/api/finetune/create", Access.TRAINER),
            new Rule(POST, "/api/finetune/tasks/*/cancel", Access.TRAINER),
            new Rule(DELETE, "/api/finetune/tasks/*", Access.TRAINER),
            new Rule(DELETE, "/api/finetune/datasets/*", Access.TRAINER),
            // A computation that changes nothing.
            new Rule(POST, "/api/system/memory-estimate", Access.VIEWER),
            // Switching what the chat endpoint serves.
            new Rule(POST, "/api/finetune/switch-model", Access.ADMIN),
            new Rule(POST, "/api/finetune/use-as-backend", Access.ADMIN),
            new Rule(ANY, "/api/chat/switch/**", Access.ADMIN),
            // Reading the API and the service's own documents (OpenAPI).
            new Rule(READ, "/api/**", Access.VIEWER),
            new Rule(READ, "/q/**", Access.VIEWER),
            // The gateway's web UI: the page loads without a token and then asks for one.
            new Rule(READ, "/**", Access.OPEN),
            // Any other change (settings, endpoints added later) needs an admin until listed above.
            new Rule(ANY, "/**", Access.ADMIN));

    private AccessPolicy() {
    }

    /** The access a request with this method and (already normalised, see {@link #canonicalPath}) path needs. */
    public static Access required(String method, String path) {
        String verb = method.toUpperCase(Locale.ROOT);
        for (Rule rule : RULES) {
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

    private record Rule(Set<String> methods, String pattern, Access access, Pattern regex) {

        Rule(Set<String> methods, String pattern, Access access) {
            this(methods, pattern, access, compile(pattern));
        }

        boolean matches(String method, String path) {
            return (methods.isEmpty() || methods.contains(method)) && regex.matcher(path).matches();
        }

        private static Pattern compile(String pattern) {
            StringBuilder regex = new StringBuilder();
            String rest = pattern;
            boolean any = rest.endsWith("/**");
            if (any) {
                rest = rest.substring(0, rest.length() - 3);
            }
            for (String segment : rest.split("/")) {
                if (segment.isEmpty()) {
                    continue;
                }
                regex.append('/').append(segment.equals("*") ? "[^/]+" : Pattern.quote(segment));
            }
            regex.append(any ? "(/.*)?" : "");
            return Pattern.compile(regex.isEmpty() ? "/" : regex.toString());
        }
    }
}
