package io.sage.studio.chat.switching;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.sage.studio.chat.switching.SwitchOperation.State;

/**
 * A switch as spans: created in a request's trace, its span is a child of the request's, each state a child span of
 * the switch, the outcome its status, and the operation's {@code trace_id} that trace; untraced, no id.
 */
class OperationTracingTest {

    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String REQUEST_SPAN = "00f067aa0ba902b7";

    private final List<SpanData> exported = new CopyOnWriteArrayList<>();
    private final Tracer tracer = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(new SpanExporter() {
                @Override
                public CompletableResultCode export(Collection<SpanData> spans) {
                    exported.addAll(spans);
                    return CompletableResultCode.ofSuccess();
                }

                @Override
                public CompletableResultCode flush() {
                    return CompletableResultCode.ofSuccess();
                }

                @Override
                public CompletableResultCode shutdown() {
                    return CompletableResultCode.ofSuccess();
                }
            }))
            .build()
            .get("test");

    private static Operation operation() {
        return new Operation("op-1", "m", null, SwitchStrategy.RECREATE, "api", Instant.now(), true, view -> {});
    }

    @Test
    void aSwitchAndItsStatesAreSpansInTheRequestsTrace() {
        Operation op;
        SpanContext request = SpanContext.createFromRemoteParent(
                TRACE, REQUEST_SPAN, TraceFlags.getSampled(), TraceState.getDefault());
        try (Scope ignored = Span.wrap(request).makeCurrent()) {
            op = operation();
        }
        op.trace(tracer);
        op.step(State.STARTING, "starting engine e2");
        op.note("engine e2 is up");
        op.step(State.ROUTING, "routing chat to e2");
        op.complete("switched");

        Map<String, SpanData> spans =
                exported.stream().collect(Collectors.toMap(SpanData::getName, Function.identity()));
        assertThat(spans).containsOnlyKeys("switch recreate", "switch.starting", "switch.routing");
        SpanData root = spans.get("switch recreate");
        assertThat(root.getTraceId()).isEqualTo(TRACE);
        assertThat(root.getParentSpanId()).isEqualTo(REQUEST_SPAN);
        assertThat(root.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertThat(spans.get("switch.starting").getParentSpanId()).isEqualTo(root.getSpanId());
        assertThat(spans.get("switch.starting").getEvents())
                .extracting(e -> e.getName())
                .contains("starting engine e2", "engine e2 is up");
        assertThat(spans.get("switch.routing").getParentSpanId()).isEqualTo(root.getSpanId());
        assertThat(op.view().traceId()).isEqualTo(TRACE);
    }

    @Test
    void aFailedSwitchIsAnErrorSpan() {
        Operation op = operation();
        op.trace(tracer);
        op.step(State.STARTING, "starting engine e2");
        op.fail("engine e2 did not become ready", true);

        SpanData root = exported.stream()
                .filter(s -> s.getName().equals("switch recreate"))
                .findFirst()
                .orElseThrow();
        assertThat(root.getParentSpanContext().isValid())
                .as("a switch nobody traced starts its own trace")
                .isFalse();
        assertThat(root.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(op.view().traceId()).isEqualTo(root.getTraceId());
    }

    @Test
    void untracedOperationsHaveNoTraceId() {
        Operation op = operation();
        assertThat(op.view().traceId()).isNull();
        op.trace(io.opentelemetry.api.OpenTelemetry.noop().getTracer("off"));
        op.step(State.STARTING, "starting");
        op.complete("switched");
        assertThat(op.view().traceId()).isNull();
    }
}
