package io.sage.studio.common.tracing;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Function;

import org.eclipse.microprofile.config.spi.ConfigSource;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;

/**
 * Turns tracing on only where an OTLP endpoint is configured. Quarkus' OpenTelemetry SDK exports to
 * {@code http://localhost:4317} when no endpoint is set and retries a collector that is not there; a studio on a
 * laptop has none, so the SDK stays disabled ({@code quarkus.otel.sdk.disabled=true}: no-op tracer, no exporter, no
 * connection; and the Kafka connector's tracing off, which would otherwise write the disabled SDK's span ids as
 * {@code traceparent} headers) unless one of these is set:
 *
 * <ul>
 *   <li>{@code OTEL_EXPORTER_OTLP_ENDPOINT} (the OpenTelemetry convention; the chart's {@code otel.endpoint}), or
 *       {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}: copied to {@code quarkus.otel.exporter.otlp.endpoint} (which
 *       Quarkus does not read from the plain OpenTelemetry variable), with {@code OTEL_EXPORTER_OTLP_PROTOCOL}
 *       ({@code grpc}, Quarkus' default, or {@code http/protobuf}) as {@code quarkus.otel.exporter.otlp.protocol};</li>
 *   <li>{@code quarkus.otel.exporter.otlp.endpoint} or {@code quarkus.otel.exporter.otlp.traces.endpoint} in any
 *       config source (property, {@code QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT}).</li>
 * </ul>
 *
 * <p>When on, it also sets {@code studio.tracing.log-format} to {@code [trace id,span id] } (from the MDC the
 * OpenTelemetry extension fills), which the services' console format takes with
 * {@code ${studio.tracing.log-format:}}: a log line names its trace only when there is one to name.
 *
 * <p>The source has a low ordinal (below {@code application.properties}): an explicit
 * {@code quarkus.otel.sdk.disabled} anywhere wins, as do tests that set their own exporter.
 */
public final class TracingConfig implements ConfigSourceFactory {

    /** Below application.properties (250) and the META-INF/microprofile-config.properties of a jar (100). */
    static final int ORDINAL = 90;

    static final String SDK_DISABLED = "quarkus.otel.sdk.disabled";
    static final String ENDPOINT = "quarkus.otel.exporter.otlp.endpoint";
    static final String TRACES_ENDPOINT = "quarkus.otel.exporter.otlp.traces.endpoint";
    static final String PROTOCOL = "quarkus.otel.exporter.otlp.protocol";
    static final String KAFKA_TRACING = "mp.messaging.connector.smallrye-kafka.tracing-enabled";
    static final String OTEL_PROTOCOL_ENV = "OTEL_EXPORTER_OTLP_PROTOCOL";
    static final String LOG_FORMAT = "studio.tracing.log-format";
    static final String LOG_FORMAT_ON = "[%X{traceId},%X{spanId}] ";
    static final List<String> OTEL_ENV = List.of("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        return List.of(
                new PropertiesConfigSource(properties(context::getValue, System.getenv()), "studio-tracing", ORDINAL));
    }

    @Override
    public OptionalInt getPriority() {
        return OptionalInt.of(ORDINAL);
    }

    /** The properties this source adds, from the other sources ({@code config}) and the process environment. */
    static Map<String, String> properties(Function<String, ConfigValue> config, Map<String, String> env) {
        String quarkusEndpoint = firstSet(value(config, ENDPOINT), value(config, TRACES_ENDPOINT));
        String otelEndpoint = firstSet(env.get(OTEL_ENV.get(0)), env.get(OTEL_ENV.get(1)));
        if (quarkusEndpoint != null) {
            return Map.of(SDK_DISABLED, "false", LOG_FORMAT, LOG_FORMAT_ON);
        }
        if (otelEndpoint != null) {
            Map<String, String> on =
                    new HashMap<>(Map.of(SDK_DISABLED, "false", ENDPOINT, otelEndpoint, LOG_FORMAT, LOG_FORMAT_ON));
            String protocol = env.get(OTEL_PROTOCOL_ENV);
            if (protocol != null && !protocol.isBlank() && value(config, PROTOCOL) == null) {
                on.put(PROTOCOL, protocol.strip());
            }
            return on;
        }
        // The disabled SDK still mints span ids, and the Kafka connector would write them as its own traceparent.
        return Map.of(SDK_DISABLED, "true", KAFKA_TRACING, "false");
    }

    /**
     * A value someone set: Quarkus' defaults (the OpenTelemetry mapping's {@code http://localhost:4317}) come from
     * sources with a negative ordinal and do not count.
     */
    private static String value(Function<String, ConfigValue> config, String name) {
        ConfigValue value = config.apply(name);
        return value == null || value.getConfigSourceOrdinal() < 0 ? null : value.getValue();
    }

    private static String firstSet(String a, String b) {
        if (a != null && !a.isBlank()) {
            return a.strip();
        }
        return b != null && !b.isBlank() ? b.strip() : null;
    }
}
