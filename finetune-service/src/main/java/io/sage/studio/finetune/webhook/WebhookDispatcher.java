package io.sage.studio.finetune.webhook;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.EmptyWebhookSecretException;
import com.standardwebhooks.exceptions.WebhookSigningException;

import io.quarkus.runtime.StartupEvent;
import io.sage.studio.common.http.LazyHttpClient;

/**
 * Makes the deliveries the outbox holds: every {@code poll} it takes the due ones (at most {@code concurrency} in
 * flight) and POSTs each body signed the Standard Webhooks way ({@code webhook-id}, {@code webhook-timestamp},
 * {@code webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>}, by the standardwebhooks library). A 2xx is
 * delivered; anything else (a redirect included: none is followed, so a receiver cannot send the studio on to
 * another host) is retried after the next wait of {@code retry-schedule}; once the schedule is spent the delivery
 * gives up and its webhook is disabled with the reason. The host is resolved and checked again before each attempt.
 */
@ApplicationScoped
public class WebhookDispatcher {

    private static final Logger LOG = Logger.getLogger(WebhookDispatcher.class);
    private static final int MAX_ERROR = 300;

    private final WebhookStore store;
    private final WebhookConfig config;
    private final UrlPolicy urls;
    private final LazyHttpClient client;
    private final Set<String> busy = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "webhook-ticker");
        t.setDaemon(true);
        return t;
    });
    private final ThreadPoolExecutor senders;

    public WebhookDispatcher(WebhookStore store, WebhookConfig config) {
        this.store = store;
        this.config = config;
        this.urls = new UrlPolicy(config.allowedHosts(), config.allowLoopback());
        this.senders = new ThreadPoolExecutor(
                config.concurrency(),
                config.concurrency(),
                30,
                TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(config.concurrency()),
                r -> {
                    Thread t = new Thread(r, "webhook-sender");
                    t.setDaemon(true);
                    return t;
                });
        this.senders.allowCoreThreadTimeOut(true);
        this.client = new LazyHttpClient(() -> HttpClient.newBuilder()
                .connectTimeout(config.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build());
    }

    void start(@Observes StartupEvent event) {
        long every = Math.max(10, config.poll().toMillis());
        ticker.scheduleWithFixedDelay(this::tick, every, every, TimeUnit.MILLISECONDS);
    }

    @PreDestroy
    void stop() {
        ticker.shutdownNow();
        senders.shutdownNow();
    }

    private void tick() {
        try {
            int room = config.concurrency() - busy.size();
            if (room <= 0) {
                return;
            }
            for (WebhookStore.Due due : store.due(Instant.now(), busy, room)) {
                busy.add(due.delivery().id());
                try {
                    senders.execute(() -> {
                        try {
                            attempt(due.webhook(), due.delivery());
                        } finally {
                            busy.remove(due.delivery().id());
                        }
                    });
                } catch (RejectedExecutionException e) {
                    busy.remove(due.delivery().id());
                    return;
                }
            }
        } catch (RuntimeException e) {
            LOG.errorf("webhook delivery round failed: %s", e.toString());
        }
    }

    private void attempt(io.sage.studio.finetune.webhook.Webhook webhook, Delivery delivery) {
        Integer status = null;
        String error;
        URI uri = URI.create(webhook.url());
        String refusal = urls.deliveryRefusal(uri);
        if (refusal != null) {
            error = "refused: " + refusal;
        } else {
            try {
                long timestamp = Instant.now().getEpochSecond();
                String signature = signer(webhook.secret()).sign(delivery.id(), timestamp, delivery.body());
                HttpRequest request = HttpRequest.newBuilder(uri)
                        .timeout(config.requestTimeout())
                        .header("content-type", "application/json")
                        .header("user-agent", "sage-studio-webhooks")
                        .header("webhook-id", delivery.id())
                        .header("webhook-timestamp", Long.toString(timestamp))
                        .header("webhook-signature", signature)
                        .POST(HttpRequest.BodyPublishers.ofString(delivery.body(), StandardCharsets.UTF_8))
                        .build();
                HttpResponse<Void> response = client.get().send(request, HttpResponse.BodyHandlers.discarding());
                status = response.statusCode();
                error = status >= 200 && status < 300 ? null : "HTTP " + status;
            } catch (IOException e) {
                error = shorten(e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (WebhookSigningException | EmptyWebhookSecretException | RuntimeException e) {
                // never the exception's text: it could quote the key
                error = "cannot sign or send: " + e.getClass().getSimpleName();
            }
        }
        Instant now = Instant.now();
        List<Duration> schedule = config.retrySchedule();
        Instant next = error == null || delivery.attempt() >= schedule.size()
                ? null
                : now.plus(schedule.get(delivery.attempt()));
        Delivery after = delivery.after(now, status, error, next);
        String disable = after.state() == Delivery.State.GAVE_UP
                ? "delivery " + after.id() + " (" + after.event() + ") failed " + after.attempt() + " times since "
                        + after.createdAt() + "; last: " + error
                : null;
        if (disable != null) {
            LOG.warnf("webhook %s disabled: %s", webhook.id(), disable);
        }
        store.attempted(webhook.id(), after, disable);
    }

    /** The library takes the key as {@code whsec_…} or bare base64; a stored secret is always the former. */
    private static Webhook signer(String secret) throws EmptyWebhookSecretException {
        return new Webhook(Base64.getDecoder().decode(secret.substring(WebhookService.SECRET_PREFIX.length())));
    }

    private static String shorten(String text) {
        return text.length() <= MAX_ERROR ? text : text.substring(0, MAX_ERROR) + "…";
    }
}
