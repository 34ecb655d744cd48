package io.sage.studio.common.tracing;

import org.eclipse.microprofile.config.ConfigProvider;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;

/**
 * W3C Trace Context strings to and from OpenTelemetry contexts, for what crosses a boundary the instrumentation does
 * not see: a CloudEvent's {@code ce_traceparent}, a task record that outlives its create call, a trainer's
 * {@code TRACEPARENT}. Static and allocation-free when nothing is traced ({@link Span#current()} is then the invalid
 * span and every method answers {@code null} at once), so callers on hot paths need no guard of their own.
 */
public final class Tracing {

    private static final String VERSION = "00";

    private Tracing() {}

    /**
     * Whether this process traces ({@link TracingConfig}: an OTLP endpoint is configured, so the SDK is on). Read it
     * once, at start-up, where even a context look-up per request counts (the gateway's {@code /v1} path).
     */
    public static boolean enabled() {
        return !ConfigProvider.getConfig()
                .getOptionalValue(TracingConfig.SDK_DISABLED, Boolean.class)
                .orElse(true);
    }

    /** The {@code traceparent} of the current span, or {@code null} when there is none (tracing off, no span). */
    public static String currentTraceparent() {
        return traceparent(Span.current().getSpanContext());
    }

    /** The {@code tracestate} of the current span, or {@code null} when empty or untraced. */
    public static String currentTracestate() {
        return tracestate(Span.current().getSpanContext());
    }

    /** The trace id of the current span (32 hex digits), or {@code null}. */
    public static String currentTraceId() {
        SpanContext context = Span.current().getSpanContext();
        return context.isValid() ? context.getTraceId() : null;
    }

    /** {@code 00-<trace id>-<span id>-<flags>} of a valid context, else {@code null}. */
    public static String traceparent(SpanContext context) {
        if (context == null || !context.isValid()) {
            return null;
        }
        return VERSION
                + '-'
                + context.getTraceId()
                + '-'
                + context.getSpanId()
                + '-'
                + context.getTraceFlags().asHex();
    }

    /** The W3C {@code tracestate} header form of a context's trace state, or {@code null} when empty. */
    public static String tracestate(SpanContext context) {
        if (context == null || !context.isValid() || context.getTraceState().isEmpty()) {
            return null;
        }
        StringBuilder out = new StringBuilder();
        context.getTraceState().forEach((key, value) -> {
            if (out.length() > 0) {
                out.append(',');
            }
            out.append(key).append('=').append(value);
        });
        return out.toString();
    }

    /** The trace id a {@code traceparent} names, or {@code null} when it is not a valid version-00 traceparent. */
    public static String traceIdOf(String traceparent) {
        SpanContext context = remote(traceparent, null);
        return context == null ? null : context.getTraceId();
    }

    /**
     * The remote span context a {@code traceparent} (and optional {@code tracestate}) describe, or {@code null} when the
     * traceparent is absent or malformed (a bad header from another producer never fails the consumer).
     */
    public static SpanContext remote(String traceparent, String tracestate) {
        if (traceparent == null || traceparent.length() != 55) {
            return null;
        }
        String[] parts = traceparent.split("-", -1);
        if (parts.length != 4 || !VERSION.equals(parts[0]) || parts[3].length() != 2 || !isHex(parts[3])) {
            return null;
        }
        SpanContext context = SpanContext.createFromRemoteParent(
                parts[1], parts[2], TraceFlags.fromHex(parts[3], 0), traceState(tracestate));
        return context.isValid() ? context : null;
    }

    /** An OpenTelemetry context whose parent is the remote span of {@code traceparent}; the root context when none. */
    public static Context contextOf(String traceparent, String tracestate) {
        SpanContext remote = remote(traceparent, tracestate);
        return remote == null ? Context.root() : Context.root().with(Span.wrap(remote));
    }

    private static TraceState traceState(String tracestate) {
        if (tracestate == null || tracestate.isBlank()) {
            return TraceState.getDefault();
        }
        var builder = TraceState.builder();
        for (String member : tracestate.split(",")) {
            int eq = member.indexOf('=');
            if (eq > 0) {
                builder.put(
                        member.substring(0, eq).strip(),
                        member.substring(eq + 1).strip());
            }
        }
        return builder.build();
    }

    private static boolean isHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }
}
