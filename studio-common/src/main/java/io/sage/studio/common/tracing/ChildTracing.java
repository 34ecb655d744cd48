package io.sage.studio.common.tracing;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * The environment that lets a child process (a trainer) continue a trace: {@code TRACEPARENT} and {@code TRACESTATE}
 * (the W3C context, as the OpenTelemetry environment-carrier convention names them), and, while this service's own
 * tracing is on, where to export ({@code OTEL_EXPORTER_OTLP_ENDPOINT}, {@code OTEL_EXPORTER_OTLP_PROTOCOL}) and under
 * which service name. A child environment is allow-listed (studio-process {@code ChildEnvironment}); these entries
 * are given explicitly, so nothing else of the service's {@code OTEL_*} settings (headers with credentials) leaks.
 */
public final class ChildTracing {

    public static final String TRACEPARENT = "TRACEPARENT";
    public static final String TRACESTATE = "TRACESTATE";
    public static final String ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public static final String PROTOCOL = "OTEL_EXPORTER_OTLP_PROTOCOL";
    public static final String SERVICE_NAME = "OTEL_SERVICE_NAME";
    /** The service name of the trainer's spans ({@code trainer/sage_trainer/tracing.py}). */
    public static final String TRAINER = "sage-trainer";

    private ChildTracing() {}

    /** The entries for a child named {@code serviceName} that joins the trace of {@code traceparent} (may be null). */
    public static Map<String, String> environment(String traceparent, String tracestate, String serviceName) {
        return environment(traceparent, tracestate, serviceName, ConfigProvider.getConfig());
    }

    static Map<String, String> environment(String traceparent, String tracestate, String serviceName, Config config) {
        Map<String, String> env = new LinkedHashMap<>();
        if (Tracing.remote(traceparent, tracestate) != null) {
            env.put(TRACEPARENT, traceparent);
            if (tracestate != null && !tracestate.isBlank()) {
                env.put(TRACESTATE, tracestate);
            }
        }
        boolean disabled = config.getOptionalValue(TracingConfig.SDK_DISABLED, Boolean.class)
                .orElse(true);
        Optional<String> endpoint = config.getOptionalValue(TracingConfig.TRACES_ENDPOINT, String.class)
                .or(() -> config.getOptionalValue(TracingConfig.ENDPOINT, String.class));
        if (!disabled && endpoint.isPresent()) {
            env.put(ENDPOINT, endpoint.get());
            // Quarkus' default is gRPC; the OpenTelemetry SDKs' is http/protobuf: say which one the endpoint speaks.
            env.put(
                    PROTOCOL,
                    config.getOptionalValue(TracingConfig.PROTOCOL, String.class)
                            .orElse("grpc"));
            env.put(SERVICE_NAME, serviceName);
        }
        return env;
    }
}
