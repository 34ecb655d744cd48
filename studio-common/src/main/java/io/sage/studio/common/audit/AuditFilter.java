package io.sage.studio.common.audit;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.sage.studio.common.auth.AccessPolicy;
import io.sage.studio.common.auth.AuthFilter;
import io.sage.studio.common.auth.Caller;
import io.sage.studio.common.auth.ServiceAccess;
import io.sage.studio.events.AuditEvent;
import io.vertx.core.AsyncResult;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * Records every state-changing call ({@code POST}, {@code PUT}, {@code PATCH}, {@code DELETE} under {@code /api})
 * once it is answered, allowed or refused, as an {@link AuditEvent} on {@code studio.audit} ({@link AuditPublisher}).
 * A Vert.x filter just ahead of {@link AuthFilter}, so it also sees the calls that filter refuses (401, 403, the
 * 421/403 of the {@code Host}/{@code Origin} checks) and every service gets it from this module, like the
 * authentication. The OpenAI-compatible {@code /v1} API, health and metrics are not audited.
 *
 * <p>A service records the calls to the paths its access table owns ({@link ServiceAccess}) and the calls its own
 * gate refused: the gateway refuses a proxied call before the owner sees it, and lets the others through to the
 * owner, which records them; so each call is recorded once. An entry holds who (principal or {@code anonymous},
 * role), what ({@link AuditActions}), the target, the status, the outcome and the trace id; never the request body
 * or the query string, which may hold user data.
 */
@ApplicationScoped
public class AuditFilter {

    /** Routing-context key of the target a resource's answer named ({@link AuditTargets}). */
    static final String TARGET = AuditFilter.class.getName() + ".target";
    /** Routing-context key of the {@link AuditActions.Action} of an audited call. */
    static final String ACTION = AuditFilter.class.getName() + ".action";

    private static final Set<HttpMethod> CHANGES =
            Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE);
    /** W3C Trace Context: version, trace id (not all zeros), parent id, flags. */
    private static final Pattern TRACEPARENT = Pattern.compile("[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}.*");

    private static final int MAX_PATH = 512;

    private final AuditPublisher publisher;
    private final boolean enabled;
    private final String service;
    private final Optional<ServiceAccess> own;

    @Inject
    public AuditFilter(
            AuditPublisher publisher,
            @ConfigProperty(name = "studio.audit.enabled", defaultValue = "true") boolean enabled,
            @ConfigProperty(name = "quarkus.application.name", defaultValue = "studio") String service) {
        this.publisher = publisher;
        this.enabled = enabled;
        this.service = service;
        this.own = AccessPolicy.SERVICES.stream()
                .filter(table -> table.service().equals(service))
                .findFirst();
    }

    void register(@Observes Filters filters) {
        if (enabled) {
            filters.register(this::filter, AuthFilter.PRIORITY + 1);
        }
    }

    void filter(RoutingContext request) {
        HttpMethod method = request.request().method();
        if (!CHANGES.contains(method)) {
            request.next();
            return;
        }
        String path = AccessPolicy.canonicalPath(request.normalizedPath());
        if (!path.startsWith("/api/")) {
            request.next();
            return;
        }
        Optional<AuditActions.Action> action = AuditActions.of(method.name(), path);
        if (action.isEmpty()) {
            request.next();
            return;
        }
        request.put(ACTION, action.get());
        // The trace id is read now: the request's span is current while the filter runs, not when the answer ends.
        String traceId = traceId(request.request());
        request.addEndHandler(done -> answered(request, method.name(), path, action.get(), traceId, done));
        request.next();
    }

    private void answered(
            RoutingContext request,
            String method,
            String path,
            AuditActions.Action action,
            String traceId,
            AsyncResult<Void> done) {
        boolean refusedAtGate = AuthFilter.refused(request);
        if (!refusedAtGate && own.isPresent() && !own.get().owns(path)) {
            return;
        }
        Caller caller = AuthFilter.callerOf(request);
        int status = request.response().getStatusCode();
        String target = request.get(TARGET);
        if (target == null) {
            target = action.targetOf(path);
        }
        publisher.publish(new AuditEvent(
                AuditEvent.SCHEMA_VERSION,
                UUID.randomUUID().toString(),
                Instant.now(),
                service,
                caller == null ? "anonymous" : caller.name(),
                caller == null ? null : caller.role().id(),
                action.name(),
                method,
                path.length() > MAX_PATH ? path.substring(0, MAX_PATH) : path,
                target,
                status,
                done.succeeded() ? outcome(status) : "failed",
                traceId));
    }

    /** {@code ok} for 2xx and 3xx, {@code refused} for 4xx, {@code failed} for 5xx. */
    static String outcome(int status) {
        if (status >= 500) {
            return "failed";
        }
        return status >= 400 ? "refused" : "ok";
    }

    /**
     * The trace id of the call: the current span's when OpenTelemetry traces this service, else the one of the
     * caller's W3C {@code traceparent} header (so entries still join a caller's trace), else {@code null}.
     */
    static String traceId(HttpServerRequest request) {
        SpanContext span = Span.current().getSpanContext();
        if (span.isValid()) {
            return span.getTraceId();
        }
        return traceIdOf(request.getHeader("traceparent"));
    }

    /** The trace id of a W3C {@code traceparent} value, or {@code null} when it is absent or malformed. */
    static String traceIdOf(String traceparent) {
        if (traceparent == null) {
            return null;
        }
        var match = TRACEPARENT.matcher(traceparent.strip());
        if (!match.matches()
                || traceparent.strip().startsWith("ff")
                || match.group(1).equals("0".repeat(32))) {
            return null;
        }
        return match.group(1);
    }

    /** The answer's JSON field names that may name the target of the call on this context (empty when none). */
    static List<String> targetFields(RoutingContext request) {
        AuditActions.Action action = request.get(ACTION);
        return action == null ? List.of() : action.targetFields();
    }
}
