package io.sage.studio.events;

import org.apache.kafka.common.serialization.Serializer;

/** Kafka value serializer for studio events: the JSON of {@link StudioJson}. {@code null} stays a tombstone. */
public class EventSerializer implements Serializer<Object> {

    @Override
    public byte[] serialize(String topic, Object data) {
        return data == null ? null : CloudEvents.encode(data);
    }
}
