package io.sage.studio.gateway.routing;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once the route topic has been read to its end: before that the gateway would answer 503 to every chat
 * request. "No backend" is a ready state (the gateway answers it correctly).
 */
@Readiness
@ApplicationScoped
public class ChatRouteHealthCheck implements HealthCheck {

    private final RouteTable routes;

    public ChatRouteHealthCheck(RouteTable routes) {
        this.routes = routes;
    }

    @Override
    public HealthCheckResponse call() {
        ActiveRoute route = routes.current();
        HealthCheckResponseBuilder response = HealthCheckResponse.named("chat-route")
                .status(routes.caughtUp())
                .withData("state", route.condition().label());
        if (route.event() != null) {
            response.withData("revision", route.event().revision());
        }
        if (route.serving()) {
            response.withData("model", route.servedModel());
        }
        return response.build();
    }
}
