package io.sage.studio.finetune.webhook;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.type.TypeReference;

import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.events.StudioJson;

/**
 * Webhooks and their deliveries, durable in {@code $STUDIO_HOME/studio/webhooks/}: {@code webhooks.json} (the
 * registrations with their secrets) and {@code deliveries/<webhook>.json} (the outbox: deliveries still to make
 * and the latest finished ones), both mode 0600 and written atomically, so a restart loses nothing that was
 * acknowledged and never reads half a file. Bounded: {@code max-webhooks} registrations, {@code max-kept-deliveries}
 * finished and {@code max-pending-deliveries} open deliveries per webhook. Held in memory; every change is written
 * before the method returns.
 */
@ApplicationScoped
public class WebhookStore {

    private static final Logger LOG = Logger.getLogger(WebhookStore.class);
    private static final Pattern ID = Pattern.compile("wh-[0-9a-z-]{1,60}");

    /** The registrations file's shape. */
    record Registrations(List<Webhook> webhooks) {}

    private final Path dir;
    private final WebhookConfig config;
    private final Map<String, Webhook> webhooks = new LinkedHashMap<>();
    private final Map<String, LinkedHashMap<String, Delivery>> deliveries = new LinkedHashMap<>();

    public WebhookStore(StudioHome home, WebhookConfig config) {
        this.dir = home.studioDir().resolve("webhooks");
        this.config = config;
        load();
    }

    private void load() {
        Path file = dir.resolve("webhooks.json");
        if (!Files.exists(file)) {
            return;
        }
        try {
            Registrations stored = StudioJson.mapper().readValue(Files.readAllBytes(file), Registrations.class);
            for (Webhook webhook : stored.webhooks()) {
                webhooks.put(webhook.id(), webhook);
                LinkedHashMap<String, Delivery> kept = new LinkedHashMap<>();
                Path outbox = deliveriesFile(webhook.id());
                if (Files.exists(outbox)) {
                    List<Delivery> list =
                            StudioJson.mapper().readValue(Files.readAllBytes(outbox), new TypeReference<>() {});
                    list.forEach(d -> kept.put(d.id(), d));
                }
                deliveries.put(webhook.id(), kept);
            }
        } catch (IOException | RuntimeException e) {
            // Starting without the webhooks would silently drop deliveries: refuse to start instead.
            throw new IllegalStateException(
                    "cannot read the webhooks in " + dir + " (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    private Path deliveriesFile(String webhookId) {
        return dir.resolve("deliveries").resolve(webhookId + ".json");
    }

    /** Whether {@code id} has the form of a webhook id (anything else is not looked up, nor used in a path). */
    static boolean wellFormed(String id) {
        return id != null && ID.matcher(id).matches();
    }

    public synchronized List<Webhook> all() {
        return List.copyOf(webhooks.values());
    }

    public synchronized Optional<Webhook> find(String id) {
        return wellFormed(id) ? Optional.ofNullable(webhooks.get(id)) : Optional.empty();
    }

    /** Adds a webhook; {@code false} when {@code max-webhooks} are registered already. */
    public synchronized boolean add(Webhook webhook) throws IOException {
        if (webhooks.size() >= config.maxWebhooks()) {
            return false;
        }
        webhooks.put(webhook.id(), webhook);
        try {
            writeRegistrations();
        } catch (IOException e) {
            webhooks.remove(webhook.id());
            throw e;
        }
        deliveries.put(webhook.id(), new LinkedHashMap<>());
        return true;
    }

    /**
     * Replaces a webhook by {@code change} of its current registration (under the store's lock, so an attempt that
     * ends meanwhile is not lost); empty when there is none. Its deliveries stay: open ones go out once it is
     * enabled, to its URL of that moment.
     */
    public synchronized Optional<Webhook> update(String id, UnaryOperator<Webhook> change) throws IOException {
        Webhook current = find(id).orElse(null);
        if (current == null) {
            return Optional.empty();
        }
        Webhook next = change.apply(current);
        webhooks.put(id, next);
        try {
            writeRegistrations();
        } catch (IOException e) {
            webhooks.put(id, current);
            throw e;
        }
        return Optional.of(next);
    }

    /** Removes a webhook and its deliveries; {@code false} when there was none. */
    public synchronized boolean remove(String id) throws IOException {
        Webhook gone = webhooks.remove(id);
        if (gone == null) {
            return false;
        }
        try {
            writeRegistrations();
        } catch (IOException e) {
            webhooks.put(id, gone);
            throw e;
        }
        deliveries.remove(id);
        Files.deleteIfExists(deliveriesFile(id));
        return true;
    }

    /** A webhook's deliveries, newest first, at most {@code limit}. */
    public synchronized List<Delivery> deliveries(String webhookId, int limit) {
        List<Delivery> all = new ArrayList<>(
                deliveries.getOrDefault(webhookId, new LinkedHashMap<>()).values());
        all.sort(Comparator.comparing(Delivery::createdAt).reversed());
        return List.copyOf(all.subList(0, Math.min(limit, all.size())));
    }

    /**
     * Queues {@code occurrence} for every enabled webhook that wants it and was registered before it happened, once
     * per webhook (a redelivered record finds its delivery there already). Returns once the outbox files are
     * written; throws (and keeps nothing of this call) when one cannot be, so the Kafka record is not acknowledged.
     */
    public synchronized int enqueue(WebhookEvents.Occurrence occurrence, String body, Instant now) throws IOException {
        Map<String, Delivery> added = new LinkedHashMap<>();
        for (Webhook webhook : webhooks.values()) {
            if (!webhook.enabled()
                    || !WebhookEvents.wants(webhook.events(), occurrence.type())
                    || (occurrence.at() != null && occurrence.at().isBefore(webhook.createdAt()))) {
                continue;
            }
            LinkedHashMap<String, Delivery> outbox =
                    deliveries.computeIfAbsent(webhook.id(), k -> new LinkedHashMap<>());
            String id = deliveryId(webhook.id(), occurrence.key());
            if (outbox.containsKey(id)) {
                continue;
            }
            long open = outbox.values().stream().filter(d -> d.state().open()).count();
            Delivery delivery = open >= config.maxPendingDeliveries()
                    ? new Delivery(
                            id,
                            occurrence.type(),
                            body,
                            0,
                            Delivery.State.GAVE_UP,
                            null,
                            "queue_full: " + open + " deliveries of this webhook are waiting",
                            null,
                            now,
                            null)
                    : new Delivery(id, occurrence.type(), body, 0, Delivery.State.PENDING, null, null, now, now, null);
            outbox.put(id, delivery);
            added.put(webhook.id(), delivery);
        }
        for (String webhookId : added.keySet()) {
            try {
                writeDeliveries(webhookId);
            } catch (IOException e) {
                added.forEach((w, d) -> deliveries.get(w).remove(d.id()));
                throw e;
            }
        }
        return added.size();
    }

    /** Open deliveries of enabled webhooks due at {@code now}, oldest first, leaving out {@code busy} ones. */
    public synchronized List<Due> due(Instant now, Set<String> busy, int limit) {
        List<Due> out = new ArrayList<>();
        for (Webhook webhook : webhooks.values()) {
            if (!webhook.enabled()) {
                continue;
            }
            for (Delivery delivery :
                    deliveries.getOrDefault(webhook.id(), new LinkedHashMap<>()).values()) {
                if (delivery.state().open()
                        && !busy.contains(delivery.id())
                        && (delivery.nextAttemptAt() == null
                                || !delivery.nextAttemptAt().isAfter(now))) {
                    out.add(new Due(webhook, delivery));
                }
            }
        }
        out.sort(Comparator.comparing(d -> d.delivery().nextAttemptAt() == null
                ? d.delivery().createdAt()
                : d.delivery().nextAttemptAt()));
        return List.copyOf(out.subList(0, Math.min(limit, out.size())));
    }

    /** A delivery to make now and the webhook it goes to. */
    public record Due(Webhook webhook, Delivery delivery) {}

    /**
     * Records an attempt's outcome; when the delivery gave up, the webhook is disabled with {@code disableReason}.
     * A write that fails is logged: the attempt is kept in memory and a restart at worst repeats it.
     */
    public synchronized void attempted(String webhookId, Delivery after, String disableReason) {
        Webhook webhook = webhooks.get(webhookId);
        LinkedHashMap<String, Delivery> outbox = deliveries.get(webhookId);
        if (webhook == null || outbox == null || !outbox.containsKey(after.id())) {
            return;
        }
        outbox.put(after.id(), after);
        prune(outbox);
        Webhook next = webhook.attempted(
                after.deliveredAt() != null ? after.deliveredAt() : Instant.now(),
                after.status(),
                after.state() == Delivery.State.DELIVERED);
        if (disableReason != null) {
            next = next.disabled(disableReason);
        }
        webhooks.put(webhookId, next);
        try {
            writeDeliveries(webhookId);
            writeRegistrations();
        } catch (IOException | UncheckedIOException e) {
            LOG.errorf(
                    "cannot record the attempt of delivery %s of webhook %s: %s",
                    after.id(), webhookId, e.getMessage());
        }
    }

    /** Drops the oldest finished deliveries past {@code max-kept-deliveries}; open ones always stay. */
    private void prune(LinkedHashMap<String, Delivery> outbox) {
        long finished = outbox.values().stream().filter(d -> !d.state().open()).count();
        var it = outbox.values().iterator();
        while (finished > config.maxKeptDeliveries() && it.hasNext()) {
            if (!it.next().state().open()) {
                it.remove();
                finished--;
            }
        }
    }

    private void writeRegistrations() throws IOException {
        AtomicFiles.writePrivate(
                dir.resolve("webhooks.json"),
                StudioJson.mapper()
                        .writerWithDefaultPrettyPrinter()
                        .writeValueAsBytes(new Registrations(List.copyOf(webhooks.values()))));
    }

    private void writeDeliveries(String webhookId) throws IOException {
        AtomicFiles.writePrivate(
                deliveriesFile(webhookId),
                StudioJson.mapper()
                        .writeValueAsBytes(List.copyOf(deliveries.get(webhookId).values())));
    }

    /** The {@code webhook-id} of an event for a webhook: the same on every redelivery of the event. */
    static String deliveryId(String webhookId, String key) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256")
                    .digest((webhookId + "\n" + key).getBytes(StandardCharsets.UTF_8));
            return "msg_" + HexFormat.of().formatHex(hash, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
