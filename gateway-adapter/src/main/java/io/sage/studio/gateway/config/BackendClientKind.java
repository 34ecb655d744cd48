package io.sage.studio.gateway.config;

/** The implementations of the model backends' HTTP client ({@code studio.gateway.backend-client}). */
public enum BackendClientKind {
    /** {@code BackendConnections}: hand-written on Netty. */
    NETTY,
    /** {@code VertxBackendClient}: Vert.x' HTTP client. */
    VERTX
}
