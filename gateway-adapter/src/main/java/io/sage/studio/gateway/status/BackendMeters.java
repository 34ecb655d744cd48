package io.sage.studio.gateway.status;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.sage.studio.events.ChatTrafficEvent;

/**
 * The meters of one backend (tags {@code backend} and {@code model}), created once per backend so that a request
 * only touches pre-registered meters; also the running totals this gateway publishes on {@code studio.chat.traffic}
 * ({@link #traffic()}: requests, errors and time-to-first-token buckets), which rollouts compare.
 */
public final class BackendMeters {

    private final String backendId;
    private final String model;
    private final Map<Outcome, Counter> requests = new EnumMap<>(Outcome.class);
    private final Map<Outcome, Counter> errors = new EnumMap<>(Outcome.class);
    private final Timer duration;
    private final Timer timeToFirstToken;
    private final LongAdder total = new LongAdder();
    private final LongAdder errorCount = new LongAdder();
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Requests that ended other than by the client leaving: the traffic figures' {@code requests}. */
    private final LongAdder routed = new LongAdder();
    /** Time-to-first-byte counts in {@link ChatTrafficEvent#TTFT_BOUNDS_MS} buckets (one more for the rest). */
    private final AtomicLongArray ttftBuckets = new AtomicLongArray(ChatTrafficEvent.TTFT_BOUNDS_MS.size() + 1);
    /** Epoch millis of the last request, 0 before the first (a clock read, no allocation, on every request). */
    private volatile long lastRequestAt;

    BackendMeters(MeterRegistry registry, String backendId, String model) {
        this.backendId = backendId;
        this.model = model;
        Tags tags = Tags.of("backend", backendId, "model", model);
        for (Outcome outcome : Outcome.values()) {
            requests.put(
                    outcome,
                    Counter.builder("studio.gateway.requests")
                            .description("Requests proxied to a model backend, by outcome")
                            .tags(tags)
                            .tag("outcome", outcome.tag())
                            .register(registry));
            if (outcome.error()) {
                errors.put(
                        outcome,
                        Counter.builder("studio.gateway.errors")
                                .description("Proxied requests that failed at the backend or on the way")
                                .tags(tags)
                                .tag("reason", outcome.tag())
                                .register(registry));
            }
        }
        this.duration = Timer.builder("studio.gateway.request.duration")
                .description("From the request reaching the gateway to the last byte of the answer")
                .tags(tags)
                .publishPercentileHistogram()
                .register(registry);
        this.timeToFirstToken = Timer.builder("studio.gateway.time.to.first.token")
                .description("From the request reaching the gateway to the first streamed chunk of the answer")
                .tags(tags)
                .publishPercentileHistogram()
                .register(registry);
    }

    public String backendId() {
        return backendId;
    }

    public void started() {
        inFlight.incrementAndGet();
        lastRequestAt = System.currentTimeMillis();
    }

    public void firstChunk(long nanos) {
        timeToFirstToken.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** The first byte of a successful answer's body, {@code nanos} after the request went to the backend. */
    public void firstByte(long nanos) {
        long millis = (nanos + 999_999) / 1_000_000;
        ttftBuckets.incrementAndGet(ChatTrafficEvent.ttftBucket(millis));
    }

    public void finished(Outcome outcome, long nanos) {
        inFlight.decrementAndGet();
        total.increment();
        if (outcome != Outcome.CANCELLED) {
            routed.increment();
        }
        requests.get(outcome).increment();
        duration.record(nanos, TimeUnit.NANOSECONDS);
        if (outcome.error()) {
            errorCount.increment();
            errors.get(outcome).increment();
        }
    }

    /** This backend's counts for the status page. */
    public BackendCounts counts() {
        return new BackendCounts(
                backendId,
                model,
                total.sum(),
                errorCount.sum(),
                inFlight.get(),
                lastRequestAt == 0 ? null : Instant.ofEpochMilli(lastRequestAt));
    }

    /** The running totals of the traffic figures ({@link ChatTrafficEvent}). */
    public ChatTrafficEvent.ModelTraffic traffic() {
        List<Long> buckets = new ArrayList<>(ttftBuckets.length());
        for (int i = 0; i < ttftBuckets.length(); i++) {
            buckets.add(ttftBuckets.get(i));
        }
        return new ChatTrafficEvent.ModelTraffic(backendId, model, routed.sum(), errorCount.sum(), buckets);
    }

    /** Takes this backend's meters out of {@code registry} (a backend no route names any more). */
    void remove(MeterRegistry registry) {
        List<Meter> meters = new ArrayList<>(requests.values());
        meters.addAll(errors.values());
        meters.add(duration);
        meters.add(timeToFirstToken);
        meters.forEach(registry::remove);
    }

    /** Request counts of one backend since the gateway started. */
    public record BackendCounts(
            String backend, String model, long requests, long errors, int inFlight, Instant lastRequestAt) {}
}
