package io.sage.studio.gateway.ui;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.quarkus.vertx.http.runtime.RouteConstants;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Deep links into the web UI ({@code /chat}, {@code /finetune/tasks/x}) load the single-page app: a browser
 * asking for an HTML page outside {@code /api}, {@code /v1} and {@code /q} that names no file gets {@code /}
 * (Quinoa's {@code index.html}). Without this the REST layer, which runs before Quinoa, answers its JSON 404.
 */
@ApplicationScoped
public class SpaFallback {

    void register(@Observes Router router) {
        router.get().order(RouteConstants.ROUTE_ORDER_BEFORE_DEFAULT + 1).handler(this::handle);
    }

    void handle(RoutingContext ctx) {
        String accept = ctx.request().getHeader(HttpHeaders.ACCEPT);
        if (isAppPage(ctx.normalizedPath()) && accept != null && accept.contains("text/html")) {
            ctx.reroute("/");
        } else {
            ctx.next();
        }
    }

    /** A path the UI's router owns: not the root, not an API, not a file. */
    static boolean isAppPage(String path) {
        if (path == null || path.equals("/") || under(path, "/api") || under(path, "/v1") || under(path, "/q")) {
            return false;
        }
        String last = path.substring(path.lastIndexOf('/') + 1);
        return !last.contains(".");
    }

    private static boolean under(String path, String prefix) {
        return path.equals(prefix) || path.startsWith(prefix + "/");
    }
}
