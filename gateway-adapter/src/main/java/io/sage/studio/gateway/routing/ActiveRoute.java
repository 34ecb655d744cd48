package io.sage.studio.gateway.routing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiFunction;

import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.gateway.GatewayError;
import io.sage.studio.gateway.proxy.UpstreamTarget;
import io.sage.studio.gateway.status.BackendMeters;

/**
 * The route of {@code /v1} at one moment, immutable: a request takes the current one when it arrives and keeps it
 * to the end, so a switch redirects the next request while the ones in flight finish where they started.
 *
 * <p>One route event becomes one table of names: the default backend ({@code backend}: what the alias and requests
 * without a model reach) under its served name, its display name and the alias, every model served by name
 * ({@code served}) under its served and display names, and the rollout's candidate ({@code split}). A name two of them
 * claim goes to the default, else to the first that claims it. While a split is set, requests for the default by
 * the alias (or by no name) go to the candidate for {@code weight} % of conversations ({@link #choose}).
 *
 * @param condition whether it serves, and if not why
 * @param event     the route event it was built from ({@code null} while nothing is known)
 * @param primary   the default target ({@code null} unless serving; models served by name are reachable without it)
 * @param alias     the model alias every client may use
 * @param byName    every accepted {@code model} value and the target it reaches
 * @param models    every target reachable by name or by the split, the default first (for {@code /v1/models})
 * @param split     the default's traffic split, or {@code null}
 * @param unusable  served names of backends of the event the gateway cannot use (bad URL, foreign cloud), left out
 */
public record ActiveRoute(
        Condition condition,
        ChatBackendEvent event,
        RouteTarget primary,
        String alias,
        Map<String, RouteTarget> byName,
        List<RouteTarget> models,
        Split split,
        List<String> unusable) {

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

    /**
     * The default's traffic split while a rollout runs.
     *
     * @param rolloutId the chat-switch rollout (salts the conversation hash)
     * @param candidate where {@code weight} % of the default's conversations go
     * @param weight    0–100
     */
    public record Split(String rolloutId, RouteTarget candidate, int weight) {}

    /** The route while the topic has not been read to its end. */
    public static final ActiveRoute UNKNOWN = idle(Condition.UNKNOWN, null, null);

    private static ActiveRoute idle(Condition condition, ChatBackendEvent event, String alias) {
        return new ActiveRoute(condition, event, null, alias, Map.of(), List.of(), null, List.of());
    }

    /**
     * The route an event describes.
     *
     * @param alias    the model alias every client may use
     * @param cloud    the configured cloud API: routes of {@code kind: cloud} must go to its base URL, and get its key
     * @param meters   the meters of a backend, by backend id and served model name
     */
    public static ActiveRoute of(
            ChatBackendEvent event, String alias, Cloud cloud, BiFunction<String, String, BackendMeters> meters) {
        if (event == null || event.state() == null) {
            return idle(Condition.NONE, event, alias);
        }
        Condition condition = switch (event.state()) {
            case NONE -> Condition.NONE;
            case SWITCHING -> Condition.SWITCHING;
            case ACTIVE -> Condition.ACTIVE;
        };
        RouteTarget primary = condition == Condition.ACTIVE ? target(event.backend(), cloud, meters) : null;
        if (condition == Condition.ACTIVE && primary == null) {
            condition = Condition.INVALID;
        }
        Map<String, RouteTarget> byName = new LinkedHashMap<>();
        List<String> unusable = new ArrayList<>();
        if (primary != null) {
            addNames(byName, primary);
            byName.put(alias, primary);
        }
        // Models served by name answer whatever the default does: no default, a default being switched, or one the
        // gateway cannot use does not take them away (an evaluation serves its two arms without any default).
        for (ChatBackendEvent.Backend backend : event.served()) {
            RouteTarget served = target(backend, cloud, meters);
            if (served == null) {
                unusable.add(backend == null ? "(none)" : String.valueOf(backend.servedModelName()));
            } else {
                addNames(byName, served);
            }
        }
        Split split = null;
        ChatBackendEvent.Split wanted = primary == null ? null : event.split();
        if (wanted != null && wanted.candidate() != null) {
            RouteTarget candidate = target(wanted.candidate(), cloud, meters);
            if (candidate == null) {
                unusable.add(String.valueOf(wanted.candidate().servedModelName()));
            } else {
                RouteTarget named = byName.get(candidate.servedModel());
                // The candidate served by name too is one target (one set of figures), whichever way it is reached.
                if (named != null && named.backend().equals(candidate.backend())) {
                    candidate = named;
                } else {
                    addNames(byName, candidate);
                }
                split = new Split(wanted.rolloutId(), candidate, Math.max(0, Math.min(100, wanted.weight())));
            }
        }
        Set<RouteTarget> models = new LinkedHashSet<>(byName.values());
        if (split != null) {
            models.add(split.candidate());
        }
        return new ActiveRoute(
                condition,
                event,
                primary,
                alias,
                Collections.unmodifiableMap(byName),
                List.copyOf(models),
                split,
                List.copyOf(unusable));
    }

    /** The target of a backend, or {@code null} when the gateway cannot use it. */
    private static RouteTarget target(
            ChatBackendEvent.Backend backend, Cloud cloud, BiFunction<String, String, BackendMeters> meters) {
        if (backend == null || blank(backend.servedModelName())) {
            return null;
        }
        UpstreamTarget upstream;
        try {
            boolean isCloud = RouteTarget.isCloud(backend);
            if (isCloud && !cloud.matches(backend.baseUrl())) {
                return null;
            }
            String authorization = isCloud
                    ? cloud.apiKey()
                            .filter(k -> !k.isBlank())
                            .map(k -> "Bearer " + k.trim())
                            .orElse(null)
                    : null;
            upstream = UpstreamTarget.parse(backend.baseUrl(), authorization);
        } catch (IllegalArgumentException e) {
            return null;
        }
        return new RouteTarget(
                backend, upstream, meters.apply(RouteTarget.backendIdOf(backend), backend.servedModelName()));
    }

    /** A target's served and display names, unless an earlier target (the default first) claims them. */
    private static void addNames(Map<String, RouteTarget> byName, RouteTarget target) {
        byName.putIfAbsent(target.servedModel(), target);
        String display = target.backend().displayName();
        if (!blank(display)) {
            byName.putIfAbsent(display, target);
        }
    }

    /** Whether the default serves (the alias and requests without a model reach it). */
    public boolean serving() {
        return condition == Condition.ACTIVE;
    }

    /**
     * Whether any request can be answered: the default serves, or models are served by name (while there is no
     * default, or it is switching, requests that name one of them still reach it).
     */
    public boolean reachable() {
        return serving() || !byName.isEmpty();
    }

    /** Whether {@code requested} (empty: none, or the alias) asks for the default rather than a model by name. */
    public boolean asksForDefault(String requested) {
        return requested == null || requested.isBlank() || requested.equals(alias);
    }

    /** The backend of the event, or {@code null}. */
    public ChatBackendEvent.Backend backend() {
        return event == null ? null : event.backend();
    }

    /** The model name sent to the default backend; {@code null} unless serving. */
    public String servedModel() {
        return primary == null ? null : primary.servedModel();
    }

    /** Where the default's requests go; {@code null} unless serving. */
    public UpstreamTarget target() {
        return primary == null ? null : primary.upstream();
    }

    /** The default backend's meters; {@code null} unless serving. */
    public BackendMeters meters() {
        return primary == null ? null : primary.meters();
    }

    /** The {@code model} values that reach the default backend (served name, alias, display name). */
    public Set<String> acceptedModels() {
        Set<String> names = new LinkedHashSet<>();
        byName.forEach((name, target) -> {
            if (target == primary) {
                names.add(name);
            }
        });
        return names;
    }

    /** Whether a request's {@code model} names a model of this route (empty means "the default"). */
    public boolean accepts(String requested) {
        return requested == null || requested.isBlank() || byName.containsKey(requested);
    }

    /** Whether {@code name} reaches a model of this route by name (the alias and blank do not count). */
    public boolean serves(String name) {
        return name != null && !name.isBlank() && !name.equals(alias) && byName.containsKey(name);
    }

    /**
     * Where a request for {@code requested} goes, or {@code null} when no model of the route has that name. The alias
     * and no name reach the default, or, while a split is set, its candidate for the conversations whose
     * {@linkplain StickyBucket bucket} is below the weight ({@code stickyKey}: the conversation's key, {@code null}:
     * drawn at random); any other name reaches its model whatever the split.
     */
    public RouteTarget choose(String requested, String stickyKey) {
        if (asksForDefault(requested)) {
            return split == null ? primary : splitArm(stickyKey);
        }
        return byName.get(requested);
    }

    private RouteTarget splitArm(String stickyKey) {
        int weight = split.weight();
        if (weight <= 0) {
            return primary;
        }
        if (weight >= 100) {
            return split.candidate();
        }
        int bucket = stickyKey == null || stickyKey.isEmpty()
                ? ThreadLocalRandom.current().nextInt(100)
                : StickyBucket.of(split.rolloutId(), stickyKey);
        return bucket < weight ? split.candidate() : primary;
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
