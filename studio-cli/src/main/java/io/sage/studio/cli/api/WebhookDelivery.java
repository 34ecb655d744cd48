package io.sage.studio.cli.api;

import java.util.List;

/**
 * {@code GET /api/webhooks/{id}/deliveries}: one event on its way to a webhook, newest first.
 *
 * @param id the {@code webhook-id} header the receiver got (the same on every retry, for de-duplication)
 * @param state {@code pending}, {@code delivered}, {@code failed} (will be retried) or {@code gave_up}
 * @param status the HTTP status of the last attempt; {@code null} when it got no answer
 * @param error why the last attempt failed
 */
public record WebhookDelivery(
        String id,
        String event,
        Integer attempt,
        String state,
        Integer status,
        String error,
        String nextAttemptAt,
        String createdAt,
        String deliveredAt) {

    /** The body of {@code GET /api/webhooks/{id}/deliveries}. */
    public record Listing(List<WebhookDelivery> deliveries) {
        public Listing {
            deliveries = deliveries == null ? List.of() : deliveries;
        }
    }
}
