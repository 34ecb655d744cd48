package io.sage.studio.common.kafka;

import java.net.URI;
import java.util.UUID;

import org.eclipse.microprofile.reactive.messaging.Message;

import io.sage.studio.common.tracing.Tracing;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.StudioEvent;
import io.smallrye.reactive.messaging.ce.OutgoingCloudEventMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

/**
 * Wraps a studio event for a SmallRye Kafka emitter: keyed by the event's key, CloudEvents attributes written
 * as {@code ce_*} headers (binary mode) by the connector. When the sender is traced, the CloudEvents
 * distributed-tracing extension ({@code ce_traceparent}, {@code ce_tracestate}) carries its context, so a consumer's
 * span joins the trace of the call that caused the event; untraced, the event carries neither.
 */
public final class EventMessages {

    private EventMessages() {}

    /** The event in the trace of the current span (none when untraced). */
    public static <T extends StudioEvent> Message<T> of(T event, String component) {
        return of(event, component, Tracing.currentTraceparent(), Tracing.currentTracestate());
    }

    /**
     * The event in the trace that {@code traceparent} names, for an event sent outside the call it belongs to (a
     * task's later changes carry the trace of its create call); {@code null} sends it untraced.
     */
    public static <T extends StudioEvent> Message<T> of(
            T event, String component, String traceparent, String tracestate) {
        var cloudEvent = OutgoingCloudEventMetadata.builder()
                .withId(UUID.randomUUID().toString())
                .withSource(URI.create(CloudEvents.source(component)))
                .withType(event.cloudEventType())
                .withSubject(event.key())
                .withDataContentType(CloudEvents.CONTENT_TYPE);
        if (traceparent != null) {
            cloudEvent.withExtension(CloudEvents.EXT_TRACEPARENT, traceparent);
            if (tracestate != null) {
                cloudEvent.withExtension(CloudEvents.EXT_TRACESTATE, tracestate);
            }
        }
        return Message.of(event)
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                        .withKey(event.key())
                        .build())
                .addMetadata(cloudEvent.build());
    }
}
