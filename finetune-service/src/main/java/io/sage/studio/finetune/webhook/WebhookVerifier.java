package io.sage.studio.finetune.webhook;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.EmptyWebhookSecretException;
import com.standardwebhooks.exceptions.WebhookVerificationException;

/**
 * The receiver's side of a delivery, as a receiver should check one (the standardwebhooks library's check): the
 * signature over {@code id.timestamp.body}, so a changed body, id or timestamp fails, and the timestamp within five
 * minutes of now, so a delivery captured and sent again later fails. Header names are matched in any case (the
 * library looks them up in lower case only). Receivers that must also refuse a replay inside those five minutes
 * remember the {@code webhook-id}s they accepted: every attempt of one delivery carries the same id. The studio's
 * tests receive deliveries with it.
 */
public final class WebhookVerifier {

    private final Webhook webhook;

    /** @param secret the {@code whsec_…} secret the registration answered */
    public WebhookVerifier(String secret) {
        try {
            this.webhook = new Webhook(secret);
        } catch (EmptyWebhookSecretException e) {
            throw new IllegalArgumentException("empty webhook secret", e);
        }
    }

    /** Checks a received delivery; throws {@link WebhookVerificationException} saying why it is not to be trusted. */
    public void verify(String body, Map<String, List<String>> headers) throws WebhookVerificationException {
        Map<String, List<String>> lower = new TreeMap<>();
        headers.forEach((name, values) -> lower.put(name.toLowerCase(Locale.ROOT), values));
        webhook.verify(body, lower);
    }
}
