package io.sage.studio.finetune.webhook;

import java.time.Instant;
import java.util.Locale;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * One event on its way to one webhook, as the outbox keeps it: the exact body (so every attempt signs and sends the
 * same bytes) and where the attempts stand.
 *
 * @param id            the {@code webhook-id} header: the same for every attempt and for a redelivered Kafka record
 * @param attempt       attempts made so far
 * @param status        the HTTP status of the latest attempt, or {@code null}
 * @param error         why the latest attempt failed, or {@code null}
 * @param nextAttemptAt when the next attempt is due ({@code pending} and {@code failed}), else {@code null}
 */
public record Delivery(
        String id,
        String event,
        String body,
        int attempt,
        State state,
        Integer status,
        String error,
        Instant nextAttemptAt,
        Instant createdAt,
        Instant deliveredAt) {

    /**
     * {@code pending}: not tried yet; {@code failed}: the latest attempt failed and another is scheduled;
     * {@code delivered}: a 2xx answer; {@code gave_up}: the retry schedule is spent (or the outbox was full).
     */
    @Schema(name = "WebhookDeliveryState")
    public enum State {
        PENDING,
        DELIVERED,
        FAILED,
        GAVE_UP;

        @JsonValue
        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        boolean open() {
            return this == PENDING || this == FAILED;
        }
    }

    Delivery after(Instant at, Integer httpStatus, String why, Instant next) {
        State outcome = why == null ? State.DELIVERED : next == null ? State.GAVE_UP : State.FAILED;
        return new Delivery(
                id, event, body, attempt + 1, outcome, httpStatus, why, next, createdAt, why == null ? at : null);
    }
}
