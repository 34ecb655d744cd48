package io.sage.studio.gateway.status;

import java.util.ArrayList;
import java.util.List;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.gateway.config.CloudConfig;
import io.sage.studio.gateway.config.GatewayConfig;
import io.sage.studio.gateway.openai.OnDemandLoads;
import io.sage.studio.gateway.routing.ActiveRoute;
import io.sage.studio.gateway.routing.RouteTable;
import io.sage.studio.gateway.routing.RouteTarget;

/** What the gateway routes to now and what it has done since it started. */
@Path("/api/gateway/status")
public class GatewayStatusResource {

    private final RouteTable routes;
    private final GatewayMetrics metrics;
    private final GatewayConfig config;
    private final CloudConfig cloud;
    private final TrafficPublisher traffic;
    private final OnDemandLoads onDemand;

    public GatewayStatusResource(
            RouteTable routes,
            GatewayMetrics metrics,
            GatewayConfig config,
            CloudConfig cloud,
            TrafficPublisher traffic,
            OnDemandLoads onDemand) {
        this.onDemand = onDemand;
        this.routes = routes;
        this.metrics = metrics;
        this.config = config;
        this.cloud = cloud;
        this.traffic = traffic;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public GatewayStatus status() {
        ActiveRoute route = routes.current();
        ChatBackendEvent event = route.event();
        ChatBackendEvent.Backend b = route.backend();
        GatewayStatus.Backend backend = b == null
                ? null
                : new GatewayStatus.Backend(
                        b.id(),
                        b.baseUrl(),
                        b.servedModelName(),
                        b.displayName(),
                        b.modelPath(),
                        b.baseModel(),
                        b.kind(),
                        b.runtime());
        List<BackendMeters.BackendCounts> backends = metrics.backendCounts();
        long total = backends.stream()
                .mapToLong(BackendMeters.BackendCounts::requests)
                .sum();
        long errors =
                backends.stream().mapToLong(BackendMeters.BackendCounts::errors).sum();
        return new GatewayStatus(
                route.condition().label(),
                routes.caughtUp(),
                backend,
                event == null ? null : event.since(),
                event == null ? null : routes.appliedAt(),
                event == null ? null : event.revision(),
                route.problem(),
                route.serving() ? null : route.retryAfterSeconds(config.retryAfter()),
                routes.lastSwitch(),
                config.modelAlias(),
                List.copyOf(route.acceptedModels()),
                cloud.apiKey().filter(k -> !k.isBlank()).isPresent(),
                new GatewayStatus.Requests(
                        total,
                        errors,
                        metrics.rejectedCount(),
                        metrics.inFlight(),
                        config.maxConcurrentRequests(),
                        metrics.bufferedBytes()),
                backends,
                models(route),
                route.split() == null
                        ? null
                        : new GatewayStatus.Split(
                                route.split().rolloutId(),
                                route.split().candidate().servedModel(),
                                route.split().weight()),
                new GatewayStatus.Traffic(
                        traffic.gatewayId(),
                        traffic.startedAt(),
                        traffic.last() == null ? null : traffic.last().at(),
                        metrics.traffic()),
                new GatewayStatus.LoadOnDemand(onDemand.enabled(), onDemand.waiting(), config.maxOnDemandWaits()));
    }

    private static List<GatewayStatus.ServedModel> models(ActiveRoute route) {
        List<GatewayStatus.ServedModel> models = new ArrayList<>();
        for (RouteTarget target : route.models()) {
            List<String> names = new ArrayList<>();
            route.byName().forEach((name, reached) -> {
                if (reached == target) {
                    names.add(name);
                }
            });
            models.add(new GatewayStatus.ServedModel(
                    target.servedModel(), target.backendId(), names, target == route.primary()));
        }
        return models;
    }
}
