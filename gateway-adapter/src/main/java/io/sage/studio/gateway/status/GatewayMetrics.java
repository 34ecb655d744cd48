package io.sage.studio.gateway.status;

import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import jakarta.inject.Singleton;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sage.studio.events.ChatTrafficEvent;

/**
 * Counts of the {@code /v1} edge: the in-flight slots behind {@code studio.gateway.max-concurrent-requests}, the
 * request-body bytes held behind {@code studio.gateway.max-buffered-request-bytes}, requests turned away before
 * reaching a backend, and the {@link BackendMeters} of the backends of the current route and of the
 * {@value #RECENT_BACKENDS} it named last before (older ones are dropped, meters and traffic totals with them, so that
 * a long-lived gateway that saw many models keeps a bounded set).
 */
@Singleton
public class GatewayMetrics {

    private final MeterRegistry registry;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong bufferedBytes = new AtomicLong();
    private final LongAdder rejectedCount = new LongAdder();
    private final ConcurrentMap<String, Counter> rejected = new ConcurrentHashMap<>();
    /** Backends no route names any more, kept at most this many (the most recently left last). */
    static final int RECENT_BACKENDS = 32;

    private final ConcurrentMap<String, BackendMeters> backends = new ConcurrentHashMap<>();
    /** Keys of {@link #backends} the current route does not name, in the order they left it; guarded by itself. */
    private final Map<String, Boolean> retired = new LinkedHashMap<>();

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

    /**
     * The route changed: {@code current} are the meters it names; the others become recent, and beyond
     * {@value #RECENT_BACKENDS} recent ones the oldest are dropped.
     */
    public void retain(Collection<BackendMeters> current) {
        Set<BackendMeters> named = Collections.newSetFromMap(new IdentityHashMap<>());
        named.addAll(current);
        synchronized (retired) {
            backends.forEach((key, meters) -> {
                if (named.contains(meters)) {
                    retired.remove(key);
                } else {
                    retired.putIfAbsent(key, Boolean.TRUE);
                }
            });
            Iterator<String> oldest = retired.keySet().iterator();
            while (retired.size() > RECENT_BACKENDS && oldest.hasNext()) {
                BackendMeters dropped = backends.remove(oldest.next());
                oldest.remove();
                if (dropped != null) {
                    dropped.remove(registry);
                }
            }
        }
    }

    /** Counts of the backends kept (the current route's and the recent ones). */
    public List<BackendMeters.BackendCounts> backendCounts() {
        return backends.values().stream().map(BackendMeters::counts).toList();
    }

    /** The traffic totals of the backends kept (the current route's and the recent ones). */
    public List<ChatTrafficEvent.ModelTraffic> traffic() {
        return backends.values().stream()
                .map(BackendMeters::traffic)
                .sorted(Comparator.comparing(ChatTrafficEvent.ModelTraffic::backendId)
                        .thenComparing(ChatTrafficEvent.ModelTraffic::servedModelName))
                .toList();
    }
}
