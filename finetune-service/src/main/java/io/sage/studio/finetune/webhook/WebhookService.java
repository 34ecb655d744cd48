package io.sage.studio.finetune.webhook;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import io.sage.studio.common.error.ErrorKind;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.finetune.FinetuneError;
import io.sage.studio.finetune.domain.Ids;

/**
 * Registers, changes, lists and removes webhooks ({@code /api/webhooks}). A registration's URL and events are checked
 * here (400 naming the field), on create and on change alike; its secret, given or generated ({@code whsec_} + base64
 * of 32 random bytes, Standard Webhooks' form), is answered once and afterwards only used to sign, never changed (a
 * new secret is a new webhook). A change is how a webhook disabled after failed deliveries is enabled again.
 */
@ApplicationScoped
public class WebhookService {

    static final String SECRET_PREFIX = "whsec_";
    static final int MAX_DESCRIPTION = 500;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final WebhookStore store;
    private final UrlPolicy urls;

    public WebhookService(WebhookStore store, WebhookConfig config) {
        this.store = store;
        this.urls = new UrlPolicy(config.allowedHosts(), config.allowLoopback());
    }

    public WebhookViews.Created create(WebhookViews.Request request, String caller) {
        if (request == null) {
            throw new StudioException(FinetuneError.MISSING_BODY, "a body {url, events} is required");
        }
        String url = urls.validate(request.url()).toString();
        List<String> events = WebhookEvents.validate(request.events());
        String description = description(request.description());
        String secret =
                request.secret() == null || request.secret().isBlank() ? newSecret() : checked(request.secret());
        Webhook webhook = new Webhook(
                Ids.newId("wh", null),
                url,
                events,
                description,
                secret,
                true,
                null,
                Instant.now(),
                caller,
                null,
                null,
                0);
        try {
            if (!store.add(webhook)) {
                throw new StudioException(
                        FinetuneError.TOO_MANY_WEBHOOKS, "at most studio.finetune.webhooks.max-webhooks webhooks");
            }
        } catch (IOException e) {
            throw new StudioException(
                    FinetuneError.STORAGE_ERROR, ErrorKind.INTERNAL, "cannot store the webhook", List.of(), e);
        }
        return new WebhookViews.Created(
                webhook.id(), url, events, description, true, webhook.createdAt(), caller, secret);
    }

    /**
     * {@code PATCH}: the fields given replace the webhook's (a blank description removes it); {@code enabled}
     * switches deliveries on (clearing the reason and the failure count) or off (the reason names the caller).
     */
    public WebhookViews.View update(String id, WebhookViews.Patch patch, String caller) {
        if (patch == null) {
            throw new StudioException(
                    FinetuneError.MISSING_BODY, "a body {enabled?, events?, url?, description?} is required");
        }
        found(id);
        if (patch.secret() != null) {
            throw StudioException.invalidField(
                    "secret", "a webhook's secret cannot be changed: register a new webhook and remove this one");
        }
        String url = patch.url() == null ? null : urls.validate(patch.url()).toString();
        List<String> events = patch.events() == null ? null : WebhookEvents.validate(patch.events());
        String description = patch.description() == null ? null : description(patch.description());
        String reason = "disabled by " + caller + " at " + Instant.now();
        try {
            return store.update(
                            id,
                            current -> current.patched(
                                    url == null ? current.url() : url,
                                    events == null ? current.events() : events,
                                    patch.description() == null ? current.description() : description,
                                    patch.enabled(),
                                    reason))
                    .map(WebhookViews.View::of)
                    .orElseThrow(() -> notFound(id));
        } catch (IOException e) {
            throw new StudioException(
                    FinetuneError.STORAGE_ERROR, ErrorKind.INTERNAL, "cannot store the webhook", List.of(), e);
        }
    }

    public WebhookViews.ViewList list() {
        return new WebhookViews.ViewList(
                store.all().stream().map(WebhookViews.View::of).toList());
    }

    public WebhookViews.View get(String id) {
        return WebhookViews.View.of(found(id));
    }

    public void delete(String id) {
        found(id);
        try {
            store.remove(id);
        } catch (IOException e) {
            throw new StudioException(
                    FinetuneError.STORAGE_ERROR, ErrorKind.INTERNAL, "cannot remove the webhook", List.of(), e);
        }
    }

    public WebhookViews.DeliveryList deliveries(String id, int limit) {
        found(id);
        if (limit < 1 || limit > 1000) {
            throw StudioException.invalidField("limit", "limit must be between 1 and 1000");
        }
        return new WebhookViews.DeliveryList(store.deliveries(id, limit).stream()
                .map(WebhookViews.DeliveryView::of)
                .toList());
    }

    private Webhook found(String id) {
        return store.find(id).orElseThrow(() -> notFound(id));
    }

    private static StudioException notFound(String id) {
        return new StudioException(FinetuneError.WEBHOOK_NOT_FOUND, "no webhook " + id);
    }

    /** A note for people: stripped, {@code null} when blank, 400 naming {@code description} when too long. */
    private static String description(String text) {
        String description = text == null || text.isBlank() ? null : text.strip();
        if (description != null && description.length() > MAX_DESCRIPTION) {
            throw StudioException.invalidField(
                    "description", "description is longer than " + MAX_DESCRIPTION + " characters");
        }
        return description;
    }

    private static String newSecret() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return SECRET_PREFIX + Base64.getEncoder().encodeToString(key);
    }

    /** A caller's secret in Standard Webhooks' form, 24 to 64 bytes of key; the message never repeats it. */
    private static String checked(String secret) {
        String s = secret.strip();
        if (!s.startsWith(SECRET_PREFIX)) {
            throw StudioException.invalidField("secret", "secret must start with " + SECRET_PREFIX);
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(s.substring(SECRET_PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw StudioException.invalidField("secret", "secret must be " + SECRET_PREFIX + " followed by base64");
        }
        if (key.length < 24 || key.length > 64) {
            throw StudioException.invalidField("secret", "secret must hold 24 to 64 bytes of key");
        }
        return s;
    }
}
