package io.sage.studio.common.kafka;

import java.net.URI;
import java.util.UUID;

import org.eclipse.microprofile.reactive.messaging.Message;

import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.StudioEvent;
import io.smallrye.reactive.messaging.ce.OutgoingCloudEventMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

/**
 * Wraps a studio event for a SmallRye Kafka emitter: keyed by the event's key, CloudEvents attributes written
 * as {@code ce_*} headers (binary mode) by the connector.
 */
public final class EventMessages {

    private EventMessages() {}

    public static <T extends StudioEvent> Message<T> of(T event, String component) {
        return Message.of(event)
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                        .withKey(event.key())
                        .build())
                .addMetadata(OutgoingCloudEventMetadata.builder()
                        .withId(UUID.randomUUID().toString())
                        .withSource(URI.create(CloudEvents.source(component)))
                        .withType(event.cloudEventType())
                        .withSubject(event.key())
                        .withDataContentType(CloudEvents.CONTENT_TYPE)
                        .build());
    }
}
