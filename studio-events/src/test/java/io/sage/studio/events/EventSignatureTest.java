package io.sage.studio.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.junit.jupiter.api.Test;

import io.sage.studio.events.EventSignature.Verdict;

class EventSignatureTest {

    private static final String KEY = "0123456789abcdef0123456789abcdef";
    private final EventSignature signature = EventSignature.withKey(KEY);

    private static ProducerRecord<String, byte[]> route(String baseUrl) {
        ChatBackendEvent event = new ChatBackendEvent(
                ChatBackendEvent.SCHEMA_VERSION,
                7,
                ChatBackendEvent.State.ACTIVE,
                new ChatBackendEvent.Backend("b1", baseUrl, "m", "m", "m", "m", "base", "local"),
                Instant.now(),
                "op1",
                null);
        return CloudEvents.record(event, CloudEvents.source("test"));
    }

    @Test
    void aSignedRecordVerifiesAndAnyChangeToWhatItCoversIsForged() {
        ProducerRecord<String, byte[]> record = route("http://127.0.0.1:8001");
        signature.sign(record.headers(), record.value());
        assertThat(signature.verify(record.headers(), record.value())).isEqualTo(Verdict.VALID);

        byte[] changed = new String(record.value(), StandardCharsets.UTF_8)
                .replace("127.0.0.1:8001", "evil.example:80")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(signature.verify(record.headers(), changed)).isEqualTo(Verdict.FORGED);

        Headers retyped = record.headers();
        retyped.remove(CloudEvents.H_TYPE);
        retyped.add(CloudEvents.H_TYPE, ChatSwitchCommandEvent.TYPE.getBytes(StandardCharsets.UTF_8));
        assertThat(signature.verify(retyped, record.value())).isEqualTo(Verdict.FORGED);
    }

    @Test
    void anotherKeyOrNoSignatureIsRefused() {
        ProducerRecord<String, byte[]> record = route("http://127.0.0.1:8001");
        assertThat(signature.verify(record.headers(), record.value())).isEqualTo(Verdict.UNSIGNED);
        EventSignature.withKey("another-key-of-the-attacker-000").sign(record.headers(), record.value());
        assertThat(signature.verify(record.headers(), record.value())).isEqualTo(Verdict.FORGED);
        record.headers().remove(EventSignature.HEADER);
        record.headers().add(EventSignature.HEADER, "v1=not-base64!".getBytes(StandardCharsets.UTF_8));
        assertThat(signature.verify(record.headers(), record.value())).isEqualTo(Verdict.FORGED);
    }

    @Test
    void theSerializerSignsWhenConfiguredWithAKey() {
        ProducerRecord<String, byte[]> record = route("http://127.0.0.1:8001");
        EventSerializer serializer = new EventSerializer();
        serializer.configure(Map.of(EventSerializer.SIGNING_KEY_CONFIG, KEY), false);
        ChatBackendEvent event = CloudEvents.decode(record.value(), ChatBackendEvent.class);
        byte[] value = serializer.serialize(record.topic(), record.headers(), event);
        assertThat(signature.verify(record.headers(), value)).isEqualTo(Verdict.VALID);

        ProducerRecord<String, byte[]> unsigned = route("http://127.0.0.1:8001");
        new EventSerializer().serialize(unsigned.topic(), unsigned.headers(), event);
        assertThat(unsigned.headers().lastHeader(EventSignature.HEADER)).isNull();
    }

    @Test
    void aShortKeyIsRefused() {
        assertThatThrownBy(() -> EventSignature.withKey("short"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 16 bytes");
    }
}
