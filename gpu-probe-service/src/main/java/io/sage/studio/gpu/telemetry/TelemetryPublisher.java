package io.sage.studio.gpu.telemetry;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.sage.studio.common.kafka.EventMessages;
import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.gpu.config.GpuConfig;
import io.smallrye.reactive.messaging.kafka.Record;

/**
 * Every {@code studio.gpu.telemetry-interval}: reads this node's GPUs and publishes one
 * {@link GpuTelemetryEvent} per GPU (key {@code node/uuid}, CloudEvents headers) on the compacted topic. A GPU
 * that is gone gets a tombstone, both one this process published before and, once after start, one a previous
 * process of this node left on the topic. Tombstones are only sent after a read where every GPU answered, so
 * a GPU failing one read does not flap. Each read is also exported on {@code /q/metrics} ({@link DcgmMetrics}).
 *
 * <p>Readings are latest-wins: when Kafka cannot take them, new ones are dropped rather than queued.
 */
@ApplicationScoped
public class TelemetryPublisher {

    /** The CloudEvents source component of these events. */
    public static final String COMPONENT = "gpu-probe-service";

    static final String CHANNEL = "gpu-telemetry";

    private static final Logger LOG = Logger.getLogger(TelemetryPublisher.class);

    private final LocalGpus local;
    private final DcgmMetrics dcgm;
    private final ClusterGpus cluster;
    private final Emitter<Object> emitter;
    private final GpuConfig config;
    private final Set<String> published = new HashSet<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "gpu-telemetry");
        thread.setDaemon(true);
        return thread;
    });
    private boolean leftoversSwept;

    public TelemetryPublisher(
            LocalGpus local,
            ClusterGpus cluster,
            @Channel(CHANNEL) @OnOverflow(value = OnOverflow.Strategy.DROP) Emitter<Object> emitter,
            GpuConfig config,
            DcgmMetrics dcgm) {
        this.local = local;
        this.dcgm = dcgm;
        this.cluster = cluster;
        this.emitter = emitter;
        this.config = config;
        if (config.telemetryInterval().toMillis() < 100) {
            throw new IllegalArgumentException(
                    "studio.gpu.telemetry-interval must be at least 100ms, was " + config.telemetryInterval());
        }
    }

    void onStart(@Observes StartupEvent event) {
        long period = config.telemetryInterval().toMillis();
        scheduler.scheduleAtFixedRate(this::tick, 0, period, TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        scheduler.shutdownNow();
    }

    /** One round: read, publish, tombstone what is gone. Runs on the scheduler thread only. */
    void tick() {
        try {
            LocalGpus.Reading reading = local.refresh();
            dcgm.update(reading);
            if (!config.publishTelemetry() || !reading.snapshot().available()) {
                return;
            }
            Set<String> current = new HashSet<>();
            for (GpuTelemetryEvent event : reading.events()) {
                current.add(event.key());
                emitter.send(EventMessages.of(event, COMPONENT).withNack(this::nacked));
            }
            if (reading.snapshot().errors().isEmpty()) {
                Set<String> gone = new HashSet<>(published);
                if (!leftoversSwept && cluster.caughtUp()) {
                    String prefix = GpuTelemetryEvent.keyOf(reading.node(), "");
                    cluster.published().keySet().stream()
                            .filter(k -> k.startsWith(prefix))
                            .forEach(gone::add);
                    leftoversSwept = true;
                }
                gone.removeAll(current);
                for (String key : gone) {
                    emitter.send(Message.of(Record.of(key, null)).withNack(this::nacked));
                }
                published.clear();
            }
            published.addAll(current);
        } catch (RuntimeException e) {
            LOG.warnf(e, "GPU telemetry round failed");
        }
    }

    private CompletableFuture<Void> nacked(Throwable failure) {
        LOG.debugf("a GPU telemetry record was not written: %s", failure.getMessage());
        return CompletableFuture.completedFuture(null);
    }
}
