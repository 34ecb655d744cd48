package io.sage.studio.gateway.openai;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.opentelemetry.api.trace.SpanContext;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sage.studio.common.tracing.Tracing;
import io.sage.studio.gateway.support.ActiveStandIn;
import io.sage.studio.gateway.support.OtlpReceiver;
import io.sage.studio.gateway.support.OtlpReceiver.ExportedSpan;
import io.sage.studio.gateway.support.StandInBackend;
import io.sage.studio.gateway.support.StandInServices;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * Tracing on (an OTLP endpoint set: {@link OtlpReceiver}): a {@code /v1} request is a server span of the gateway, the
 * request to the engine carries that span's {@code traceparent} (same trace as the client's, the gateway's span as
 * parent), and the span reaches the exporter. Without a client context the gateway starts the trace the engine joins.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StandInServices.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = OtlpReceiver.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
class V1TracingTest {

    private static final String CHAT =
            "{\"model\":\"sage-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CLIENT_SPAN = "00f067aa0ba902b7";
    private static final Duration EXPORT = Duration.ofSeconds(30);

    @RegisterExtension
    static final ActiveStandIn standIn = new ActiveStandIn("traced-model");

    @Test
    void theClientsTraceContinuesToTheEngineUnderTheGatewaysSpan() {
        given().header("traceparent", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01")
                .contentType(ContentType.JSON)
                .body(CHAT)
                .post("/v1/chat/completions")
                .then()
                .statusCode(200);

        SpanContext sent = sentToTheEngine();
        assertThat(sent.getTraceId()).isEqualTo(CLIENT_TRACE);
        assertThat(sent.getSpanId()).isNotEqualTo(CLIENT_SPAN);
        assertThat(sent.isSampled()).isTrue();

        ExportedSpan gateway = exported(sent.getSpanId());
        assertThat(gateway.traceId()).isEqualTo(CLIENT_TRACE);
        assertThat(gateway.parentSpanId()).isEqualTo(CLIENT_SPAN);
        assertThat(gateway.kind()).isEqualTo(OtlpReceiver.SERVER);
    }

    @Test
    void aRequestWithoutContextStartsTheTraceTheEngineJoins() {
        given().contentType(ContentType.JSON)
                .body(CHAT)
                .post("/v1/chat/completions")
                .then()
                .statusCode(200);

        SpanContext sent = sentToTheEngine();
        assertThat(sent.getTraceId()).isNotEqualTo(CLIENT_TRACE);

        ExportedSpan gateway = exported(sent.getSpanId());
        assertThat(gateway.traceId()).isEqualTo(sent.getTraceId());
        assertThat(gateway.parentSpanId()).isEmpty();
        assertThat(gateway.kind()).isEqualTo(OtlpReceiver.SERVER);
    }

    /** The context of the engine's only request, which must carry a valid {@code traceparent}. */
    private static SpanContext sentToTheEngine() {
        List<StandInBackend.Received> received = standIn.backend().received();
        assertThat(received).hasSize(1);
        List<String> headers = received.get(0).headers().getAll("traceparent");
        assertThat(headers).hasSize(1);
        SpanContext context = Tracing.remote(headers.get(0), null);
        assertThat(context).as("traceparent %s", headers.get(0)).isNotNull();
        return context;
    }

    /** The exported span with id {@code spanId}, once the batch processor has sent it. */
    private static ExportedSpan exported(String spanId) {
        return await().atMost(EXPORT)
                .until(
                        () -> OtlpReceiver.SPANS.stream()
                                .filter(s -> s.spanId().equals(spanId))
                                .findFirst(),
                        Optional::isPresent)
                .orElseThrow();
    }
}
