package io.sage.studio.events;

import java.time.Instant;
import java.util.List;

/**
 * What one gateway replica has routed since it started, per served model: the figures a rollout's guards and the
 * serving set's least-recently-used unloading read. Key: the gateway's instance id, on a compacted topic, so the
 * latest record of every replica is its running total; a reader sums the replicas' differences between two readings
 * (a replica that restarted starts a new key at zero).
 *
 * <p>A request counts for the model it was sent to when the gateway picked the backend; an error is an answer of 500
 * or above from the backend or a backend the gateway could not reach or that timed out (502/504); a request the
 * client abandoned counts as neither. Time to first token is the time from sending the request to the first byte of
 * the answer's body, counted in {@link #TTFT_BOUNDS_MS} buckets.
 *
 * @param gatewayId this replica's instance id (the record key)
 * @param startedAt when the replica started counting
 * @param at        when these totals were read
 * @param models    one entry per model the replica routed to
 */
public record ChatTrafficEvent(
        int schemaVersion, String gatewayId, Instant startedAt, Instant at, List<ModelTraffic> models)
        implements StudioEvent {

    public static final int SCHEMA_VERSION = 1;
    public static final String TYPE = "io.sage.studio.chat.traffic.v1";

    /** Upper bounds (inclusive, ms) of the time-to-first-token buckets; one more bucket counts everything above. */
    public static final List<Long> TTFT_BOUNDS_MS =
            List.of(10L, 25L, 50L, 100L, 200L, 300L, 500L, 750L, 1000L, 1500L, 2000L, 3000L, 5000L, 10000L);

    public ChatTrafficEvent {
        models = models == null ? List.of() : List.copyOf(models);
    }

    /**
     * One model's running totals.
     *
     * @param backendId       the backend it was sent to
     * @param servedModelName the model name sent to the backend
     * @param requests        requests sent
     * @param errors          of those, failed ones (see the class comment)
     * @param ttftBuckets     time-to-first-token counts, {@code TTFT_BOUNDS_MS.size() + 1} buckets
     */
    public record ModelTraffic(
            String backendId, String servedModelName, long requests, long errors, List<Long> ttftBuckets) {

        public ModelTraffic {
            ttftBuckets = ttftBuckets == null ? List.of() : List.copyOf(ttftBuckets);
        }
    }

    /** The bucket a time-to-first-token sample falls in. */
    public static int ttftBucket(long millis) {
        for (int i = 0; i < TTFT_BOUNDS_MS.size(); i++) {
            if (millis <= TTFT_BOUNDS_MS.get(i)) {
                return i;
            }
        }
        return TTFT_BOUNDS_MS.size();
    }

    /**
     * The {@code quantile} (0–1) of bucket counts, as the upper bound of the bucket it falls in (the last bucket
     * reports twice the last bound); {@code null} when there are no samples.
     */
    public static Long ttftQuantile(long[] buckets, double quantile) {
        long total = 0;
        for (long count : buckets) {
            total += count;
        }
        if (total == 0) {
            return null;
        }
        long rank = Math.max(1, (long) Math.ceil(quantile * total));
        long seen = 0;
        for (int i = 0; i < buckets.length; i++) {
            seen += buckets[i];
            if (seen >= rank) {
                return i < TTFT_BOUNDS_MS.size()
                        ? TTFT_BOUNDS_MS.get(i)
                        : 2 * TTFT_BOUNDS_MS.get(TTFT_BOUNDS_MS.size() - 1);
            }
        }
        return 2 * TTFT_BOUNDS_MS.get(TTFT_BOUNDS_MS.size() - 1);
    }

    @Override
    public String key() {
        return gatewayId;
    }

    @Override
    public String cloudEventType() {
        return TYPE;
    }

    @Override
    public String topic() {
        return Topics.CHAT_TRAFFIC;
    }
}
