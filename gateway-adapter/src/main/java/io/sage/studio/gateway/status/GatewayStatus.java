package io.sage.studio.gateway.status;

import java.time.Instant;
import java.util.List;

import io.sage.studio.events.ChatTrafficEvent;
import io.sage.studio.gateway.routing.RouteTable;

/**
 * The answer of {@code GET /api/gateway/status}.
 *
 * @param state                   {@code active}, {@code switching}, {@code none}, {@code unknown} (route not read
 *                                yet) or {@code invalid}
 * @param ready                   whether the route topic has been read to its end
 * @param backend                 the backend of the route event (also while switching), or {@code null}
 * @param since                   since when the route is what it is (from the route event)
 * @param appliedAt               when this gateway applied the route
 * @param revision                the route revision, or {@code null}
 * @param problem                 why chat requests get 503 now, or {@code null}
 * @param retryAfterSeconds       the {@code Retry-After} of those 503s, or {@code null}
 * @param lastSwitch              the latest switch this gateway applied, or {@code null}
 * @param modelAlias              the alias every client may use
 * @param acceptedModels          the {@code model} values routed to the active backend
 * @param cloudApiKeyConfigured   whether a cloud API key is configured (the key itself is never shown)
 * @param requests                totals of the {@code /v1} edge since start
 * @param backends                counts per backend since start
 * @param models                  every model the route serves by name, the default first
 * @param split                   the default's traffic split, or {@code null}
 * @param traffic                 the traffic figures this gateway publishes on {@code studio.chat.traffic}
 * @param loadOnDemand            whether models are loaded on demand, and the requests waiting for one now
 */
public record GatewayStatus(
        String state,
        boolean ready,
        Backend backend,
        Instant since,
        Instant appliedAt,
        Long revision,
        String problem,
        Long retryAfterSeconds,
        RouteTable.LastSwitch lastSwitch,
        String modelAlias,
        List<String> acceptedModels,
        boolean cloudApiKeyConfigured,
        Requests requests,
        List<BackendMeters.BackendCounts> backends,
        List<ServedModel> models,
        Split split,
        Traffic traffic,
        LoadOnDemand loadOnDemand) {

    /**
     * Load on demand ({@code studio.chat.load-on-demand}).
     *
     * @param enabled  whether a request for a model the route does not serve asks the chat-switch service for it
     * @param waiting  requests waiting for such a model now
     * @param maxWaits the cap on {@code waiting} ({@code studio.gateway.max-on-demand-waits})
     */
    public record LoadOnDemand(boolean enabled, int waiting, int maxWaits) {}

    /**
     * A model the route serves by name.
     *
     * @param model     its served name
     * @param backend   its backend id
     * @param names     the {@code model} values that reach it
     * @param defaultModel whether the alias reaches it (outside a split's share)
     */
    public record ServedModel(String model, String backend, List<String> names, boolean defaultModel) {}

    /**
     * The default's traffic split.
     *
     * @param rolloutId the rollout
     * @param candidate the candidate's served name
     * @param weight    the candidate's share of conversations, %
     */
    public record Split(String rolloutId, String candidate, int weight) {}

    /**
     * This gateway's traffic figures.
     *
     * @param gatewayId   its key on {@code studio.chat.traffic}
     * @param startedAt   since when it counts
     * @param publishedAt when figures were last handed to Kafka, or {@code null}
     * @param models      the running totals per model now
     */
    public record Traffic(
            String gatewayId, Instant startedAt, Instant publishedAt, List<ChatTrafficEvent.ModelTraffic> models) {}

    /** The routed backend, as the route event names it. */
    public record Backend(
            String id,
            String baseUrl,
            String servedModelName,
            String displayName,
            String modelPath,
            String baseModel,
            String kind,
            String runtime) {}

    /**
     * @param total     requests proxied to backends
     * @param errors    of those, failed at a backend or on the way
     * @param rejected  answered by the gateway itself with an error (no backend, unknown model, limits, …)
     * @param inFlight  in progress now
     * @param maxConcurrent the cap on {@code inFlight}
     * @param bufferedBytes bytes of request bodies held now (read, or being read, before they go to a backend)
     */
    public record Requests(
            long total, long errors, long rejected, int inFlight, int maxConcurrent, long bufferedBytes) {}
}
