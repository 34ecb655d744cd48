package io.sage.studio.common.auth;

import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.quarkus.vertx.http.runtime.security.SecurityHandlerPriorities;
import io.sage.studio.common.auth.AccessPolicy.Access;
import io.sage.studio.common.error.ErrorBody;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * The one gate of every service: a Vert.x filter that runs before any route (REST resources, SSE streams, the
 * gateway's {@code /v1/*} routes, static files), checks where it comes from with {@link RequestGuard} (421 for a
 * foreign {@code Host}, 403 for a cross-site change, in every mode), looks it up in {@link AccessPolicy}, authenticates it
 * with {@link Authenticator} and lets it through only with a role that suffices. Refusals are the studio JSON
 * error shape: 401 with {@code WWW-Authenticate: Bearer}, or 403.
 * Requests let through with a credential are tracked by {@link OpenRequests} while they last, so that a revoked or
 * expired credential also ends the streams it opened.
 */
@ApplicationScoped
public class AuthFilter {

    /**
     * Routing-context key of the {@link Caller} of a request once authenticated: let through, or refused for its role
     * (nothing is served then, but the audit log names who was refused).
     */
    static final String CALLER = AuthFilter.class.getName() + ".caller";

    /** Routing-context key set when this filter answered the request with a refusal. */
    private static final String REFUSED = AuthFilter.class.getName() + ".refused";

    /** After Quarkus has set up (lazy) authentication for the request, before anything else looks at it. */
    public static final int PRIORITY = SecurityHandlerPriorities.AUTHENTICATION - 10;

    private static final Logger LOG = Logger.getLogger(AuthFilter.class);

    private final Authenticator authenticator;
    private final RequestGuard guard;
    private final OpenRequests open;
    private final ObjectMapper json;

    public AuthFilter(Authenticator authenticator, RequestGuard guard, OpenRequests open, ObjectMapper json) {
        this.authenticator = authenticator;
        this.guard = guard;
        this.open = open;
        this.json = json;
    }

    /** The authenticated caller of a request ({@link #CALLER}), or {@code null} when none was established. */
    public static Caller callerOf(RoutingContext request) {
        return request.get(CALLER);
    }

    /** Whether this filter refused the request (the {@code Host}/{@code Origin} checks, 401, 403). */
    public static boolean refused(RoutingContext request) {
        return Boolean.TRUE.equals(request.get(REFUSED));
    }

    void register(@Observes Filters filters) {
        filters.register(this::filter, PRIORITY);
    }

    void filter(RoutingContext request) {
        Optional<RequestGuard.Refusal> refused = guard.check(request.request(), request.normalizedPath());
        if (refused.isPresent()) {
            RequestGuard.Refusal refusal = refused.get();
            refuse(request, new AuthException(refusal.status(), refusal.code(), refusal.message()));
            return;
        }
        if (authenticator.disabled()) {
            // Mode none (loopback only): everyone is the local user; no look-up, no reactive detour on the hot path.
            request.put(CALLER, Caller.LOCAL);
            request.next();
            return;
        }
        String method = request.request().method().name();
        String path = AccessPolicy.canonicalPath(request.normalizedPath());
        Access access = AccessPolicy.required(method, path);
        if (access == Access.OPEN) {
            request.next();
            return;
        }
        authenticator
                .authenticate(request, access)
                .subscribe()
                .with(
                        caller -> {
                            StudioRole needed = access.minimumRole();
                            if (!caller.role().includes(needed)) {
                                request.put(CALLER, caller);
                                refuse(
                                        request,
                                        AuthException.forbidden(
                                                "forbidden",
                                                "'" + caller.name() + "' has role "
                                                        + caller.role().id() + ", but " + method + " " + path
                                                        + " needs " + needed.id()));
                                return;
                            }
                            request.put(CALLER, caller);
                            open.track(request, caller);
                            request.next();
                        },
                        failure -> {
                            if (failure instanceof AuthException refusal) {
                                refuse(request, refusal);
                            } else {
                                LOG.errorf(failure, "authentication of %s %s failed", method, path);
                                request.fail(failure);
                            }
                        });
    }

    private void refuse(RoutingContext request, AuthException refusal) {
        if (request.response().ended()) {
            return;
        }
        request.put(REFUSED, true);
        String body;
        try {
            body = json.writeValueAsString(ErrorBody.of(refusal.code(), refusal.getMessage()));
        } catch (JsonProcessingException e) {
            request.fail(e);
            return;
        }
        if (refusal.status() == 401) {
            request.response().putHeader("WWW-Authenticate", "Bearer realm=\"sage-studio\"");
        }
        request.response()
                .setStatusCode(refusal.status())
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(body);
    }
}
