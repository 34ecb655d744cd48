package io.sage.studio.chat.messaging;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.sage.studio.common.kafka.CompactedTopicView;
import io.sage.studio.common.kafka.EventSigning;
import io.sage.studio.common.kafka.KafkaClientConfig;
import io.sage.studio.events.ChatTrafficEvent;
import io.sage.studio.events.Topics;

/**
 * What every gateway replica routed, summed per served model name, from the compacted {@code studio.chat.traffic}
 * topic ({@link ChatTrafficEvent}): the figures of a rollout's guards and of the serving set's least-recently-used
 * unloading. Totals only grow: each replica's record is a running total, so what a new record adds is its difference
 * to the same replica's previous one (a restarted replica has a new key and starts at zero). A caller that wants a
 * period's figures keeps the totals at its start and subtracts ({@link Totals#minus}).
 *
 * <p>Gateways that are gone are forgotten: one that shut down cleanly sends a tombstone for its key, one that crashed
 * falls silent, and a replica from which nothing arrived for {@link #STALE} (ten of a gateway's 30 s heartbeats) is
 * dropped when the next record of any replica arrives. Arrival time, not the records' clock: gateway pods need not
 * agree on the time, and after a restart every replica read from the topic counts as heard then. What they reported
 * stays in the totals; only their bookkeeping goes. A dropped replica that reports again (it was cut off, not gone)
 * starts from its next record: the requests of its silence are not counted.
 *
 * <p>Bounded: at most {@link #MAX_MODELS} models, {@link #MAX_REPLICA_ENTRIES} replica × model entries and
 * {@link #MAX_GATEWAYS} replicas (live and dropped) are kept, the least recently changed dropped first.
 */
@ApplicationScoped
public class TrafficView {

    static final int MAX_MODELS = 1024;
    static final int MAX_REPLICA_ENTRIES = 8192;
    static final int MAX_GATEWAYS = 1024;
    static final Duration STALE = Duration.ofMinutes(5);
    private static final int BUCKETS = ChatTrafficEvent.TTFT_BOUNDS_MS.size() + 1;

    private final CompactedTopicView<ChatTrafficEvent> view;
    private final Map<String, Totals> models = lru(MAX_MODELS);
    private final Map<String, ChatTrafficEvent.ModelTraffic> lastSeen = lru(MAX_REPLICA_ENTRIES);
    /** Replica → when its latest record arrived. */
    private final Map<String, Instant> heard = lru(MAX_GATEWAYS);
    /** Replicas dropped as gone: a record of theirs is a new base, not a difference. */
    private final Map<String, Boolean> gone = lru(MAX_GATEWAYS);

    public TrafficView(KafkaClientConfig kafka, EventSigning signing) {
        this.view = new CompactedTopicView<>(Topics.CHAT_TRAFFIC, ChatTrafficEvent.class, kafka.properties())
                .admitOnly(signing::accept);
        view.onChange((key, event) -> {
            if (event != null) {
                apply(key, event);
            } else {
                forget(key);
            }
        });
    }

    void onStart(@Observes StartupEvent event) {
        view.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        view.close();
    }

    /**
     * Whether the topic has been read up to the end it had at start: before that, totals are still growing towards
     * what the gateways reported earlier, so no period may start on them.
     */
    public boolean caughtUp() {
        return view.caughtUp();
    }

    /** Every model's totals, by served model name. */
    public synchronized Map<String, Totals> totals() {
        return Map.copyOf(models);
    }

    /** One model's totals ({@link Totals#ZERO} when no gateway reported it). */
    public synchronized Totals totals(String servedModelName) {
        return models.getOrDefault(servedModelName, Totals.ZERO);
    }

    /** When a gateway last reported a request to the model. */
    public synchronized Optional<Instant> lastUsed(String servedModelName) {
        return Optional.ofNullable(models.get(servedModelName)).map(Totals::lastUsed);
    }

    /** Applies one replica's record as it arrives now (package-private for tests). */
    void apply(String gatewayId, ChatTrafficEvent event) {
        apply(gatewayId, event, Instant.now());
    }

    /** Applies one replica's record that arrived at {@code arrived} (package-private for tests). */
    synchronized void apply(String gatewayId, ChatTrafficEvent event, Instant arrived) {
        Instant at = event.at() == null ? arrived : event.at();
        boolean rejoined = gone.remove(gatewayId) != null;
        heard.put(gatewayId, arrived);
        for (ChatTrafficEvent.ModelTraffic traffic : event.models()) {
            String model = traffic.servedModelName();
            if (model == null) {
                continue;
            }
            String entry = gatewayId + '\n' + model;
            ChatTrafficEvent.ModelTraffic previous = lastSeen.get(entry);
            if (rejoined) {
                lastSeen.put(entry, traffic);
                continue;
            }
            long requests = traffic.requests() - (previous == null ? 0 : previous.requests());
            long errors = traffic.errors() - (previous == null ? 0 : previous.errors());
            if (requests < 0 || errors < 0) {
                // Not a running total of this replica (a replayed older record): take it as the new base.
                lastSeen.put(entry, traffic);
                continue;
            }
            long[] ttft = new long[BUCKETS];
            for (int i = 0; i < BUCKETS && i < traffic.ttftBuckets().size(); i++) {
                long before = previous == null || i >= previous.ttftBuckets().size()
                        ? 0
                        : previous.ttftBuckets().get(i);
                ttft[i] = Math.max(0, traffic.ttftBuckets().get(i) - before);
            }
            lastSeen.put(entry, traffic);
            Totals current = models.getOrDefault(model, Totals.ZERO);
            models.put(model, current.plus(requests, errors, ttft, requests > 0 ? at : null));
        }
        Instant limit = arrived.minus(STALE);
        List<String> silent = heard.entrySet().stream()
                .filter(e -> e.getValue().isBefore(limit))
                .map(Map.Entry::getKey)
                .toList();
        silent.forEach(this::forget);
    }

    /** Drops a replica's bookkeeping (its tombstone, or silent for {@link #STALE}); its figures stay in the totals. */
    synchronized void forget(String gatewayId) {
        heard.remove(gatewayId);
        gone.put(gatewayId, Boolean.TRUE);
        String prefix = gatewayId + '\n';
        lastSeen.keySet().removeIf(entry -> entry.startsWith(prefix));
    }

    /** Replicas whose figures are followed now (package-private for tests). */
    synchronized int gateways() {
        return heard.size();
    }

    private static <V> Map<String, V> lru(int max) {
        return new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > max;
            }
        };
    }

    /**
     * A model's totals.
     *
     * @param requests    requests the gateways sent to it
     * @param errors      of those, failed ones (5xx, unreachable, timed out)
     * @param ttftBuckets time-to-first-token counts in {@link ChatTrafficEvent#TTFT_BOUNDS_MS} buckets
     * @param lastUsed    when a gateway last reported a request to it, or {@code null}
     */
    public record Totals(long requests, long errors, long[] ttftBuckets, Instant lastUsed) {

        public static final Totals ZERO = new Totals(0, 0, new long[BUCKETS], null);

        public Totals {
            ttftBuckets = ttftBuckets == null ? new long[BUCKETS] : Arrays.copyOf(ttftBuckets, BUCKETS);
        }

        Totals plus(long moreRequests, long moreErrors, long[] moreTtft, Instant usedAt) {
            long[] sum = ttftBuckets.clone();
            for (int i = 0; i < BUCKETS; i++) {
                sum[i] += moreTtft[i];
            }
            Instant used = usedAt == null || (lastUsed != null && lastUsed.isAfter(usedAt)) ? lastUsed : usedAt;
            return new Totals(requests + moreRequests, errors + moreErrors, sum, used);
        }

        /** What happened between {@code earlier} and these totals. */
        public Totals minus(Totals earlier) {
            long[] diff = new long[BUCKETS];
            for (int i = 0; i < BUCKETS; i++) {
                diff[i] = Math.max(0, ttftBuckets[i] - earlier.ttftBuckets[i]);
            }
            return new Totals(
                    Math.max(0, requests - earlier.requests), Math.max(0, errors - earlier.errors), diff, lastUsed);
        }

        /** Errors per request, 0 without requests. */
        public double errorRate() {
            return requests == 0 ? 0 : (double) errors / requests;
        }

        /** Time to first token at {@code quantile} (bucket upper bound), or {@code null} without samples. */
        public Long ttftMs(double quantile) {
            return ChatTrafficEvent.ttftQuantile(ttftBuckets, quantile);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Totals t
                    && t.requests == requests
                    && t.errors == errors
                    && Arrays.equals(t.ttftBuckets, ttftBuckets)
                    && Objects.equals(t.lastUsed, lastUsed);
        }

        @Override
        public int hashCode() {
            return Objects.hash(requests, errors, Arrays.hashCode(ttftBuckets), lastUsed);
        }

        @Override
        public String toString() {
            return "Totals[requests=" + requests + ", errors=" + errors + ", ttft=" + Arrays.toString(ttftBuckets)
                    + ", lastUsed=" + lastUsed + "]";
        }
    }
}
