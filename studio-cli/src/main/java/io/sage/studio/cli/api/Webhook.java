package io.sage.studio.cli.api;

import java.util.List;

/**
 * {@code GET /api/webhooks}: a URL the studio POSTs events to (Standard Webhooks signatures), as {@code sage webhooks
 * list} prints it. {@code secret} is set only in the answer to a create: the service keeps it to sign with and never
 * shows it again, so {@code sage webhooks add} prints it once.
 *
 * @param events exact event names or patterns ({@code task.*}, {@code switch.*}, {@code *}, …)
 * @param disabledReason why the service disabled it (repeated failed deliveries); {@code null} while enabled
 * @param lastStatus the HTTP status of the last delivery attempt
 * @param failures failed attempts since the last success
 */
public record Webhook(
        String id,
        String url,
        List<String> events,
        String description,
        Boolean enabled,
        String disabledReason,
        String createdAt,
        String createdBy,
        String lastDeliveryAt,
        Integer lastStatus,
        Integer failures,
        String secret) {

    public Webhook {
        events = events == null ? List.of() : events;
    }

    /** The body of {@code GET /api/webhooks}. */
    public record Listing(List<Webhook> webhooks) {
        public Listing {
            webhooks = webhooks == null ? List.of() : webhooks;
        }
    }
}
