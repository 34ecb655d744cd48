package io.sage.studio.gateway.status;

import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

/**
 * The meters of one backend (tags {@code backend} and {@code model}), created once per backend so that a request
 * only touches pre-registered meters.
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

    public void finished(Outcome outcome, long nanos) {
        inFlight.decrementAndGet();
        total.increment();
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

    /** Request counts of one backend since the gateway started. */
    public record BackendCounts(
            String backend, String model, long requests, long errors, int inFlight, Instant lastRequestAt) {}
}
