package io.sage.studio.gateway.routing;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;

import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.gateway.GatewayError;
import io.sage.studio.gateway.proxy.UpstreamTarget;
import io.sage.studio.gateway.status.BackendMeters;

/**
 * The route of {@code /v1} at one moment, immutable: a request takes the current one when it arrives and keeps it
 * to the end, so a switch redirects the next request while the ones in flight finish where they started.
 *
 * @param condition      whether it serves, and if not why
 * @param event          the route event it was built from ({@code null} while nothing is known)
 * @param target         where requests go ({@code null} unless serving)
 * @param acceptedModels request {@code model} values rewritten to the served model name
 * @param meters         the backend's meters ({@code null} unless serving)
 */
public record ActiveRoute(
        Condition condition,
        ChatBackendEvent event,
        UpstreamTarget target,
        Set<String> acceptedModels,
        BackendMeters meters) {

    /** Whether and why the route serves. */
    public enum Condition {
        /** A backend serves. */
        ACTIVE("active", null),
        /** A switch is under way without a serving backend. */
        SWITCHING("switching", GatewayError.BACKEND_SWITCHING),
        /** No backend is configured. */
        NONE("none", GatewayError.NO_BACKEND),
        /** The route topic has not been read up to its end yet (start-up, or Kafka unreachable). */
        UNKNOWN("unknown", GatewayError.ROUTE_UNKNOWN),
        /**
         * The route names a backend the gateway cannot use (no served model name, a bad base URL, a cloud API other
         * than the configured one).
         */
        INVALID("invalid", GatewayError.BACKEND_MISCONFIGURED);

        private final String label;
        private final GatewayError error;

        Condition(String label, GatewayError error) {
            this.label = label;
            this.error = error;
        }

        /** The lower-case name shown in the status page. */
        public String label() {
            return label;
        }

        /** The OpenAI-style error code answered while not serving. */
        public String errorCode() {
            return error == null ? null : error.code();
        }

        /** The error answered while not serving; {@code null} for {@link #ACTIVE}. */
        public GatewayError error() {
            return error;
        }
    }

    /** The route while the topic has not been read to its end. */
    public static final ActiveRoute UNKNOWN = new ActiveRoute(Condition.UNKNOWN, null, null, Set.of(), null);

    /**
     * The route an event describes.
     *
     * @param alias    the model alias every client may use
     * @param cloud    the configured cloud API: routes of {@code kind: cloud} must go to its base URL, and get its key
     * @param meters   the meters of a backend, by backend id and served model name
     */
    public static ActiveRoute of(
            ChatBackendEvent event, String alias, Cloud cloud, BiFunction<String, String, BackendMeters> meters) {
        if (event == null || event.state() == null || event.state() == ChatBackendEvent.State.NONE) {
            return new ActiveRoute(Condition.NONE, event, null, Set.of(), null);
        }
        if (event.state() == ChatBackendEvent.State.SWITCHING) {
            return new ActiveRoute(Condition.SWITCHING, event, null, Set.of(), null);
        }
        ChatBackendEvent.Backend backend = event.backend();
        if (backend == null || blank(backend.servedModelName())) {
            return new ActiveRoute(Condition.INVALID, event, null, Set.of(), null);
        }
        UpstreamTarget target;
        try {
            boolean isCloud = "cloud"
                    .equals(backend.kind() == null ? null : backend.kind().toLowerCase(Locale.ROOT));
            if (isCloud && !cloud.matches(backend.baseUrl())) {
                return new ActiveRoute(Condition.INVALID, event, null, Set.of(), null);
            }
            String authorization = isCloud
                    ? cloud.apiKey()
                            .filter(k -> !k.isBlank())
                            .map(k -> "Bearer " + k.trim())
                            .orElse(null)
                    : null;
            target = UpstreamTarget.parse(backend.baseUrl(), authorization);
        } catch (IllegalArgumentException e) {
            return new ActiveRoute(Condition.INVALID, event, null, Set.of(), null);
        }
        Set<String> accepted = new LinkedHashSet<>();
        accepted.add(backend.servedModelName());
        accepted.add(alias);
        if (!blank(backend.displayName())) {
            accepted.add(backend.displayName());
        }
        String id = blank(backend.id()) ? backend.servedModelName() : backend.id();
        return new ActiveRoute(
                Condition.ACTIVE, event, target, Set.copyOf(accepted), meters.apply(id, backend.servedModelName()));
    }

    public boolean serving() {
        return condition == Condition.ACTIVE;
    }

    /** The backend of the event, or {@code null}. */
    public ChatBackendEvent.Backend backend() {
        return event == null ? null : event.backend();
    }

    /** The model name sent to the backend; only when serving. */
    public String servedModel() {
        return event.backend().servedModelName();
    }

    /** Whether a request's {@code model} names this route's model (empty means "the active one"). */
    public boolean accepts(String requested) {
        return requested == null || requested.isBlank() || acceptedModels.contains(requested);
    }

    /** Seconds a client should wait before retrying while the route does not serve. */
    public long retryAfterSeconds(Duration fallback) {
        if (condition == Condition.UNKNOWN) {
            return 1;
        }
        Integer announced = event == null ? null : event.retryAfterSeconds();
        return announced != null && announced > 0 ? announced : Math.max(1, fallback.toSeconds());
    }

    /** Why the route does not serve, for the client. */
    public String problem() {
        return switch (condition) {
            case ACTIVE -> null;
            case SWITCHING -> "the chat backend is switching models; retry shortly";
            case NONE -> "no chat model is active; switch one on in the Studio or with POST /api/finetune/switch-model";
            case UNKNOWN -> "the gateway is still reading the active route";
            case INVALID ->
                "the active chat backend cannot be used: "
                        + (backend() == null || blank(backend().servedModelName())
                                ? "it has no served model name"
                                : "cloud".equalsIgnoreCase(backend().kind())
                                        ? "it is a cloud API at '" + backend().baseUrl()
                                                + "', which is not the gateway's studio.chat.cloud.base-url (or not a usable URL)"
                                        : "its base URL '" + backend().baseUrl() + "' is not a usable http(s) URL");
        };
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    /**
     * The cloud API this gateway may route to ({@code studio.chat.cloud.*}).
     *
     * @param baseUrl the configured base URL, if any
     * @param apiKey  its key, if any
     */
    public record Cloud(Optional<String> baseUrl, Optional<String> apiKey) {

        public static final Cloud NONE = new Cloud(Optional.empty(), Optional.empty());

        /** Whether a route's base URL is the configured one (trailing {@code /} and {@code /v1} ignored). */
        boolean matches(String routeUrl) {
            return routeUrl != null
                    && baseUrl.map(Cloud::normalize)
                            .filter(u -> !u.isEmpty())
                            .map(u -> u.equals(normalize(routeUrl)))
                            .orElse(false);
        }

        static String normalize(String url) {
            String value = url.strip();
            while (value.endsWith("/")) {
                value = value.substring(0, value.length() - 1);
            }
            if (value.endsWith("/v1")) {
                value = value.substring(0, value.length() - 3);
            }
            while (value.endsWith("/")) {
                value = value.substring(0, value.length() - 1);
            }
            return value.toLowerCase(Locale.ROOT);
        }
    }
}
