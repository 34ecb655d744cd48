package io.sage.studio.finetune.webhook;

import java.time.Instant;
import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The shapes {@code /api/webhooks} reads and answers (snake_case on the wire); the secret only in {@link Created}. */
public final class WebhookViews {

    private WebhookViews() {}

    /**
     * {@code POST /api/webhooks}.
     *
     * @param url         where deliveries go (http or https)
     * @param events      exact event names or {@code task.*}, {@code evaluation.*}, {@code switch.*},
     *                    {@code rollout.*}, {@code *}
     * @param secret      {@code whsec_<base64 of 24 to 64 bytes>}; generated when absent
     * @param description a note for people, at most 500 characters
     */
    @Schema(name = "WebhookRequest")
    public record Request(
            @Schema(required = true) String url,
            @Schema(required = true) List<String> events,
            String secret,
            String description) {}

    /**
     * {@code PATCH /api/webhooks/{id}}: only the fields given change.
     *
     * @param enabled     {@code true} resumes deliveries (a webhook disabled after failures included: its reason and
     *                    failure count are cleared), {@code false} holds them
     * @param events      as on registration
     * @param url         as on registration
     * @param description as on registration; blank removes it
     * @param secret      refused (400): a secret is never changed
     */
    @Schema(name = "WebhookPatch")
    public record Patch(
            Boolean enabled,
            List<String> events,
            String url,
            String description,
            @Schema(hidden = true) String secret) {}

    /** The answer to a registration: the only time the secret is shown. */
    @Schema(name = "WebhookCreated")
    public record Created(
            @Schema(required = true) String id,
            @Schema(required = true) String url,
            @Schema(required = true) List<String> events,
            String description,
            @Schema(required = true) boolean enabled,
            @Schema(required = true) Instant createdAt,
            String createdBy,
            @Schema(required = true) String secret) {}

    /** A webhook without its secret, with how its deliveries go. */
    @Schema(name = "Webhook")
    public record View(
            @Schema(required = true) String id,
            @Schema(required = true) String url,
            @Schema(required = true) List<String> events,
            String description,
            @Schema(required = true) boolean enabled,
            String disabledReason,
            @Schema(required = true) Instant createdAt,
            String createdBy,
            Instant lastDeliveryAt,
            Integer lastStatus,
            @Schema(required = true) int failures) {

        static View of(Webhook w) {
            return new View(
                    w.id(),
                    w.url(),
                    w.events(),
                    w.description(),
                    w.enabled(),
                    w.disabledReason(),
                    w.createdAt(),
                    w.createdBy(),
                    w.lastDeliveryAt(),
                    w.lastStatus(),
                    w.failures());
        }
    }

    /** {@code GET /api/webhooks}. */
    @Schema(name = "WebhookList")
    public record ViewList(@Schema(required = true) List<View> webhooks) {}

    /** One delivery; {@code id} is its {@code webhook-id} header. */
    @Schema(name = "WebhookDelivery")
    public record DeliveryView(
            @Schema(required = true) String id,
            @Schema(required = true) String event,
            @Schema(required = true) int attempt,
            @Schema(required = true) Delivery.State state,
            Integer status,
            String error,
            Instant nextAttemptAt,
            @Schema(required = true) Instant createdAt,
            Instant deliveredAt) {

        static DeliveryView of(Delivery d) {
            return new DeliveryView(
                    d.id(),
                    d.event(),
                    d.attempt(),
                    d.state(),
                    d.status(),
                    d.error(),
                    d.nextAttemptAt(),
                    d.createdAt(),
                    d.deliveredAt());
        }
    }

    /** {@code GET /api/webhooks/{id}/deliveries}, newest first. */
    @Schema(name = "WebhookDeliveryList")
    public record DeliveryList(@Schema(required = true) List<DeliveryView> deliveries) {}
}
