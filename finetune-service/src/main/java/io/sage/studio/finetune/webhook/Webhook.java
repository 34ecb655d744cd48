package io.sage.studio.finetune.webhook;

import java.time.Instant;
import java.util.List;

/**
 * A registered webhook as {@code webhooks.json} keeps it, secret included (that file is mode 0600 and never
 * shown; the API's views leave the secret out).
 *
 * @param secret         {@code whsec_<base64 key>}, Standard Webhooks' form
 * @param enabled        {@code false} once a delivery gave up after the whole retry schedule, or an admin disabled it
 * @param disabledReason why it was disabled, or {@code null}
 * @param lastDeliveryAt when the latest attempt ended, or {@code null}
 * @param lastStatus     the HTTP status of the latest attempt, or {@code null} (none, or no answer)
 * @param failures       failed attempts since the latest success
 */
public record Webhook(
        String id,
        String url,
        List<String> events,
        String description,
        String secret,
        boolean enabled,
        String disabledReason,
        Instant createdAt,
        String createdBy,
        Instant lastDeliveryAt,
        Integer lastStatus,
        int failures) {

    public Webhook {
        events = List.copyOf(events);
    }

    Webhook attempted(Instant at, Integer status, boolean ok) {
        return new Webhook(
                id,
                url,
                events,
                description,
                secret,
                enabled,
                disabledReason,
                createdAt,
                createdBy,
                at,
                status,
                ok ? 0 : failures + 1);
    }

    Webhook disabled(String reason) {
        return new Webhook(
                id,
                url,
                events,
                description,
                secret,
                false,
                reason,
                createdAt,
                createdBy,
                lastDeliveryAt,
                lastStatus,
                failures);
    }

    /**
     * The webhook with new settings ({@code PATCH}): enabling a disabled one clears its reason and failure count (its
     * open deliveries are due again at once), disabling an enabled one records {@code reason}; enabling an enabled
     * or disabling a disabled one changes nothing, so a repeated call keeps the first reason.
     */
    Webhook patched(String newUrl, List<String> newEvents, String newDescription, Boolean enable, String reason) {
        boolean on = enable == null ? enabled : enable;
        boolean flipped = on != enabled;
        return new Webhook(
                id,
                newUrl,
                newEvents,
                newDescription,
                secret,
                on,
                flipped ? (on ? null : reason) : disabledReason,
                createdAt,
                createdBy,
                lastDeliveryAt,
                lastStatus,
                flipped && on ? 0 : failures);
    }
}
