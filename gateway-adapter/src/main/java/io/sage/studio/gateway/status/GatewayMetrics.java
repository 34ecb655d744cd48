package io.sage.studio.gateway.status;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import jakarta.inject.Singleton;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Counts of the {@code /v1} edge: the in-flight slots behind {@code studio.gateway.max-concurrent-requests}, the
 * request-body bytes held behind {@code studio.gateway.max-buffered-request-bytes}, requests turned away before
 * reaching a backend, and the {@link BackendMeters} of every backend seen.
 */
@Singleton
public class GatewayMetrics {

    private final MeterRegistry registry;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong bufferedBytes = new AtomicLong();
    private final LongAdder rejectedCount = new LongAdder();
    private final ConcurrentMap<String, Counter> rejected = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, BackendMeters> backends = new ConcurrentHashMap<>();

    public GatewayMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("studio.gateway.in.flight", inFlight, AtomicInteger::get)
                .description("Requests to model backends in progress")
                .register(registry);
        Gauge.builder("studio.gateway.buffered.request.bytes", bufferedBytes, AtomicLong::get)
                .description("Bytes of /v1 request bodies held by the gateway")
                .baseUnit("bytes")
                .register(registry);
    }

    /** Takes one of {@code limit} slots; {@code false} when all are taken. Pair a success with {@link #release()}. */
    public boolean tryAcquire(int limit) {
        while (true) {
            int current = inFlight.get();
            if (current >= limit) {
                return false;
            }
            if (inFlight.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    public void release() {
        inFlight.decrementAndGet();
    }

    public int inFlight() {
        return inFlight.get();
    }

    /**
     * Reserves {@code bytes} of request-body memory out of {@code limit}; {@code false} when they do not fit.
     * Give a success back with {@link #unbuffer(long)}.
     */
    public boolean tryBuffer(long bytes, long limit) {
        while (true) {
            long current = bufferedBytes.get();
            if (current + bytes > limit) {
                return false;
            }
            if (bufferedBytes.compareAndSet(current, current + bytes)) {
                return true;
            }
        }
    }

    public void unbuffer(long bytes) {
        bufferedBytes.addAndGet(-bytes);
    }

    /** Bytes of request bodies held now. */
    public long bufferedBytes() {
        return bufferedBytes.get();
    }

    /** Counts a request answered by the gateway itself with an error ({@code reason}: a stable code). */
    public void rejected(String reason) {
        rejectedCount.increment();
        rejected.computeIfAbsent(
                        reason,
                        r -> Counter.builder("studio.gateway.rejected")
                                .description("Requests the gateway answered itself with an error, by reason")
                                .tag("reason", r)
                                .register(registry))
                .increment();
    }

    public long rejectedCount() {
        return rejectedCount.sum();
    }

    /** The meters of a backend, registered on first use. */
    public BackendMeters backend(String backendId, String model) {
        return backends.computeIfAbsent(
                backendId + '\u0000' + model, k -> new BackendMeters(registry, backendId, model));
    }

    /** Counts of every backend seen since start. */
    public List<BackendMeters.BackendCounts> backendCounts() {
        return backends.values().stream().map(BackendMeters::counts).toList();
    }
}
