package io.sage.studio.gateway.status;

import java.time.Instant;
import java.util.List;

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
        List<BackendMeters.BackendCounts> backends) {

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
