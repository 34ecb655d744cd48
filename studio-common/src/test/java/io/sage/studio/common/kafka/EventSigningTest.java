package io.sage.studio.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Optional;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sage.studio.common.auth.AuthMode;
import io.sage.studio.events.ChatSwitchCommandEvent;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.EventSignature;

class EventSigningTest {

    private static final String KEY = "test-signing-key-0123456789abcdef";

    @Test
    void authenticationWithoutASigningKeyDoesNotStart() {
        assertThatThrownBy(() -> EventSigning.check(AuthMode.TOKEN, false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("STUDIO_EVENTS_SIGNING_KEY");
        assertThatThrownBy(() -> EventSigning.check(AuthMode.OIDC, false)).isInstanceOf(IllegalStateException.class);
        assertThatCode(() -> EventSigning.check(AuthMode.NONE, false)).doesNotThrowAnyException();
        assertThatCode(() -> EventSigning.check(AuthMode.TOKEN, true)).doesNotThrowAnyException();
    }

    @Test
    void withAKeyOnlySignedRecordsAreAcceptedAndRefusalsAreCounted() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        EventSigning signing = new EventSigning(Optional.of(KEY), AuthMode.TOKEN, Optional.of(meters));

        ProducerRecord<String, byte[]> signed = command();
        EventSignature.withKey(KEY).sign(signed.headers(), signed.value());
        assertThat(signing.accept(consumed(signed))).isTrue();

        assertThat(signing.accept(consumed(command()))).isFalse();
        ProducerRecord<String, byte[]> forged = command();
        EventSignature.withKey("someone-elses-key-000000000000").sign(forged.headers(), forged.value());
        assertThat(signing.accept(consumed(forged))).isFalse();

        assertThat(signing.rejected()).isEqualTo(2);
        assertThat(meters.get("studio_events_rejected")
                        .tag("reason", "unsigned")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(meters.get("studio_events_rejected")
                        .tag("reason", "forged")
                        .counter()
                        .count())
                .isEqualTo(1);
    }

    @Test
    void withoutAKeyInModeNoneEverythingIsAccepted() {
        EventSigning signing = new EventSigning(Optional.empty(), AuthMode.NONE, Optional.empty());
        assertThat(signing.enabled()).isFalse();
        assertThat(signing.accept(consumed(command()))).isTrue();
    }

    private static ProducerRecord<String, byte[]> command() {
        return CloudEvents.record(
                new ChatSwitchCommandEvent(
                        ChatSwitchCommandEvent.SCHEMA_VERSION,
                        "op-1",
                        "Qwen/Qwen2.5-0.5B-Instruct",
                        null,
                        "auto",
                        "test",
                        Instant.now()),
                CloudEvents.source("test"));
    }

    private static ConsumerRecord<String, byte[]> consumed(ProducerRecord<String, byte[]> record) {
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        return new ConsumerRecord<>(
                record.topic(),
                0,
                42L,
                0L,
                TimestampType.CREATE_TIME,
                0,
                record.value().length,
                record.key(),
                record.value(),
                headers,
                Optional.empty());
    }
}
