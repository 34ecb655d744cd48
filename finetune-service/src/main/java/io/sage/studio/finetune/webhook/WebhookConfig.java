package io.sage.studio.finetune.webhook;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.sage.studio.common.config.Range;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Webhook settings ({@code studio.finetune.webhooks.*}). A mapping of its own beside {@code FinetuneConfig} so the
 * webhook package carries its settings with it; every key can be set by its environment variable
 * ({@code STUDIO_FINETUNE_WEBHOOKS_…}).
 */
@ConfigMapping(prefix = "studio.finetune.webhooks")
public interface WebhookConfig {

    /**
     * The waits before each retry of a failed delivery: one retry per entry, then the delivery gives up and the webhook
     * is disabled. The default (Standard Webhooks' usual schedule, shortened) spans about 23.5 hours.
     */
    @WithDefault("5s,5m,30m,2h,5h,8h,8h")
    List<Duration> retrySchedule();

    /** Registered webhooks at most; one more is answered 429 {@code too_many_webhooks}. */
    @WithDefault("50")
    @Range(min = 1, max = 10000)
    int maxWebhooks();

    /** Finished deliveries (delivered or given up) kept per webhook for {@code GET …/deliveries}; older ones go. */
    @WithDefault("100")
    @Range(min = 1, max = 10000)
    int maxKeptDeliveries();

    /**
     * Deliveries of one webhook waiting for a (re)try; an event past it is recorded as given up ({@code queue_full})
     * rather than letting a dead receiver grow the outbox without bound.
     */
    @WithDefault("1000")
    @Range(min = 1, max = 100000)
    int maxPendingDeliveries();

    /** Deliveries sent at once (threads). */
    @WithDefault("4")
    @Range(min = 1, max = 64)
    int concurrency();

    /** Connect limit of one delivery. */
    @WithDefault("5s")
    Duration connectTimeout();

    /** Limit of one delivery, from connect to the response's status line. */
    @WithDefault("15s")
    Duration requestTimeout();

    /** How often the outbox is scanned for deliveries that are due. */
    @WithDefault("1s")
    Duration poll();

    /**
     * Host names webhook URLs may name: exact names or {@code *.example.com} for a domain's sub-domains; unset: any
     * host that is not refused by the address rules.
     */
    Optional<List<String>> allowedHosts();

    /**
     * Whether URLs may lead to a loopback address ({@code 127.0.0.0/8}, {@code ::1}, {@code localhost}). Off by
     * default: in a cluster, loopback is the service's own pod, and a webhook must not become a way to call it; a
     * single-user install that runs its receiver on the same machine turns it on.
     */
    @WithDefault("false")
    boolean allowLoopback();
}
