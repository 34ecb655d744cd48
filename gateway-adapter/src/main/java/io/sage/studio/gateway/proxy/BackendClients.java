package io.sage.studio.gateway.proxy;

import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.sage.studio.gateway.config.GatewayConfig;
import io.vertx.core.Vertx;

/** The {@link BackendClient} that {@code studio.gateway.backend-client} names. */
@Singleton
public class BackendClients {

    @Produces
    @Singleton
    BackendClient backendClient(Vertx vertx, GatewayConfig config) {
        return switch (config.backendClient()) {
            case NETTY -> new BackendConnections(vertx, config);
            case VERTX -> new VertxBackendClient(vertx, config);
        };
    }

    void close(@Disposes BackendClient client) {
        client.close();
    }
}
