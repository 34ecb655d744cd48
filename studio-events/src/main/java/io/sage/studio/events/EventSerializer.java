package io.sage.studio.events;

import java.util.Map;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka value serializer for studio events: the JSON of {@link StudioJson}. {@code null} stays a tombstone.
 *
 * <p>With a signing key in its configuration ({@value #SIGNING_KEY_CONFIG}, e.g. the SmallRye channel attribute
 * {@code mp.messaging.outgoing.<channel>.studio.events.signing-key}), it also signs every record that carries the
 * CloudEvents headers ({@link EventSignature}): a serializer sees the record's headers before they are sent, after the
 * connector wrote the {@code ce_*} attributes.
 */
public class EventSerializer implements Serializer<Object> {

    /** The producer configuration entry holding the signing key. */
    public static final String SIGNING_KEY_CONFIG = "studio.events.signing-key";

    private EventSignature signature;

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        Object key = configs.get(SIGNING_KEY_CONFIG);
        if (key != null && !String.valueOf(key).isBlank()) {
            signature = EventSignature.withKey(String.valueOf(key));
        }
    }

    @Override
    public byte[] serialize(String topic, Object data) {
        return data == null ? null : CloudEvents.encode(data);
    }

    @Override
    public byte[] serialize(String topic, Headers headers, Object data) {
        byte[] value = serialize(topic, data);
        if (signature != null && headers != null && CloudEvents.header(headers, CloudEvents.H_ID) != null) {
            signature.sign(headers, value);
        }
        return value;
    }
}
