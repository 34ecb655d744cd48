package io.sage.studio.common.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Scope;
import io.smallrye.config.ConfigValue;

/** W3C strings to and from span contexts, and the switch that keeps the SDK off without an endpoint. */
class TracingTest {

    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String SPAN = "00f067aa0ba902b7";
    private static final String TRACEPARENT = "00-" + TRACE + "-" + SPAN + "-01";

    @Test
    void noSpanNoTraceparent() {
        assertThat(Tracing.currentTraceparent()).isNull();
        assertThat(Tracing.currentTracestate()).isNull();
        assertThat(Tracing.currentTraceId()).isNull();
    }

    @Test
    void aCurrentSpanIsWrittenAndReadBack() {
        SpanContext context = SpanContext.create(
                TRACE,
                SPAN,
                TraceFlags.getSampled(),
                TraceState.builder().put("vendor", "x1").build());
        try (Scope ignored = Span.wrap(context).makeCurrent()) {
            assertThat(Tracing.currentTraceparent()).isEqualTo(TRACEPARENT);
            assertThat(Tracing.currentTracestate()).isEqualTo("vendor=x1");
            assertThat(Tracing.currentTraceId()).isEqualTo(TRACE);
        }
        SpanContext remote = Tracing.remote(TRACEPARENT, "vendor=x1");
        assertThat(remote.getTraceId()).isEqualTo(TRACE);
        assertThat(remote.getSpanId()).isEqualTo(SPAN);
        assertThat(remote.isRemote()).isTrue();
        assertThat(remote.getTraceState().get("vendor")).isEqualTo("x1");
        assertThat(Span.fromContext(Tracing.contextOf(TRACEPARENT, null))
                        .getSpanContext()
                        .getTraceId())
                .isEqualTo(TRACE);
    }

    @Test
    void malformedTraceparentsAreIgnored() {
        assertThat(Tracing.traceIdOf(null)).isNull();
        assertThat(Tracing.traceIdOf("garbage")).isNull();
        assertThat(Tracing.traceIdOf("01-" + TRACE + "-" + SPAN + "-01")).isNull();
        assertThat(Tracing.traceIdOf("00-" + "0".repeat(32) + "-" + SPAN + "-01"))
                .isNull();
        assertThat(Tracing.traceIdOf("00-" + TRACE + "-" + SPAN + "-zz")).isNull();
        assertThat(Span.fromContext(Tracing.contextOf("garbage", null))
                        .getSpanContext()
                        .isValid())
                .isFalse();
    }

    @Test
    void theSdkStaysOffWithoutAnEndpoint() {
        Function<String, ConfigValue> none = name -> null;
        assertThat(TracingConfig.properties(none, Map.of()))
                .isEqualTo(Map.of(TracingConfig.SDK_DISABLED, "true", TracingConfig.KAFKA_TRACING, "false"));

        // Quarkus' own default (localhost:4317) comes from a negative-ordinal source: not an endpoint someone set
        Function<String, ConfigValue> defaults = name -> name.equals(TracingConfig.ENDPOINT)
                ? ConfigValue.builder()
                        .withName(name)
                        .withValue("http://localhost:4317")
                        .withConfigSourceOrdinal(Integer.MIN_VALUE)
                        .build()
                : null;
        assertThat(TracingConfig.properties(defaults, Map.of())).containsEntry(TracingConfig.SDK_DISABLED, "true");
    }

    @Test
    void anEndpointTurnsItOn() {
        Map<String, String> fromEnv = TracingConfig.properties(
                name -> null,
                Map.of(
                        "OTEL_EXPORTER_OTLP_ENDPOINT",
                        "http://collector:4318",
                        "OTEL_EXPORTER_OTLP_PROTOCOL",
                        "http/protobuf"));
        assertThat(fromEnv)
                .containsEntry(TracingConfig.SDK_DISABLED, "false")
                .containsEntry(TracingConfig.ENDPOINT, "http://collector:4318")
                .containsEntry(TracingConfig.PROTOCOL, "http/protobuf")
                .containsEntry(TracingConfig.LOG_FORMAT, TracingConfig.LOG_FORMAT_ON);

        Function<String, ConfigValue> property = name -> name.equals(TracingConfig.ENDPOINT)
                ? ConfigValue.builder()
                        .withName(name)
                        .withValue("http://collector:4317")
                        .withConfigSourceOrdinal(250)
                        .build()
                : null;
        assertThat(TracingConfig.properties(property, Map.of()))
                .containsEntry(TracingConfig.SDK_DISABLED, "false")
                .doesNotContainKey(TracingConfig.ENDPOINT);
    }
}
