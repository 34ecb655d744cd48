package io.sage.studio.common.kafka;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness of the Kafka connection that answers within {@code studio.kafka.health-timeout} (3 s) whatever the
 * broker does. Quarkus' own Kafka check waits for the admin client's default API timeout (60 s) when the broker is
 * gone, longer than any probe waits, so a service with the broker down looked hung instead of "not ready". An "up"
 * answer is cached for a second, so probes from several places cost one round trip; a "down" answer only for
 * {@link #DOWN_CACHE_NANOS}, and the probe's client retries a refused connection every {@link #RECONNECT_BACKOFF_MAX_MS}
 * at most (Kafka's default backs off to a second), so a service turns ready soon after its broker does: at
 * {@code ./sage studio start} every service waits for the broker that starts beside it.
 */
@Readiness
@ApplicationScoped
public class KafkaReadiness implements HealthCheck {

    private static final String NAME = "Kafka connection";
    private static final long CACHE_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final long DOWN_CACHE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    static final String RECONNECT_BACKOFF_MAX_MS = "200";

    private final KafkaClientConfig kafka;
    private final Duration timeout;
    private final boolean enabled;
    private Admin admin;
    private HealthCheckResponse last;
    /** Until when {@link #last} is answered without a probe ({@link System#nanoTime()}). */
    private long lastUntil;

    public KafkaReadiness(
            KafkaClientConfig kafka,
            @ConfigProperty(name = "studio.kafka.health-timeout", defaultValue = "3s") Duration timeout,
            @ConfigProperty(name = "studio.kafka.health.enabled", defaultValue = "true") boolean enabled) {
        this.kafka = kafka;
        this.timeout = timeout;
        this.enabled = enabled;
    }

    @Override
    public synchronized HealthCheckResponse call() {
        if (!enabled) {
            return HealthCheckResponse.named(NAME)
                    .up()
                    .withData("check", "disabled")
                    .build();
        }
        if (last != null && System.nanoTime() - lastUntil < 0) {
            return last;
        }
        last = probe();
        lastUntil = System.nanoTime()
                + (last.getStatus() == HealthCheckResponse.Status.UP ? CACHE_NANOS : DOWN_CACHE_NANOS);
        return last;
    }

    private HealthCheckResponse probe() {
        int millis = (int) Math.max(100, timeout.toMillis());
        try {
            int nodes = admin().describeCluster(new DescribeClusterOptions().timeoutMs(millis))
                    .nodes()
                    .get(millis + 500L, TimeUnit.MILLISECONDS)
                    .size();
            return HealthCheckResponse.named(NAME)
                    .up()
                    .withData("bootstrap_servers", kafka.bootstrapServers())
                    .withData("nodes", nodes)
                    .build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return down("interrupted");
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            return down("no answer from " + kafka.bootstrapServers() + " within " + millis + " ms ("
                    + cause.getClass().getSimpleName() + ")");
        }
    }

    private HealthCheckResponse down(String reason) {
        return HealthCheckResponse.named(NAME).down().withData("reason", reason).build();
    }

    private Admin admin() {
        if (admin == null) {
            Properties props = kafka.properties();
            int millis = (int) Math.max(100, timeout.toMillis());
            props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(millis));
            props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Integer.toString(millis));
            props.put(AdminClientConfig.CLIENT_ID_CONFIG, "studio-readiness");
            props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, RECONNECT_BACKOFF_MAX_MS);
            admin = Admin.create(props);
        }
        return admin;
    }

    @PreDestroy
    synchronized void close() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(1));
        }
    }
}
