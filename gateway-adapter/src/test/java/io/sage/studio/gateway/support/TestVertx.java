package io.sage.studio.gateway.support;

import io.vertx.core.Vertx;

/** The Vert.x instance of the stand-ins: separate from the gateway's, as separate processes would be. */
public final class TestVertx {

    private static Vertx vertx;

    private TestVertx() {}

    public static synchronized Vertx get() {
        if (vertx == null) {
            vertx = Vertx.vertx();
            Runtime.getRuntime().addShutdownHook(new Thread(vertx::close, "stand-in-vertx-shutdown"));
        }
        return vertx;
    }
}
