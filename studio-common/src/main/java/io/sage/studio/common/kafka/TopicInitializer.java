package io.sage.studio.common.kafka;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.sage.studio.events.StudioTopics;

/**
 * Creates the studio topics that are missing when the service starts. A broker that is not up yet does not
 * stop the service from starting: creation is retried in the background and readiness reports Kafka down.
 */
@ApplicationScoped
public class TopicInitializer {

    private static final Logger LOG = Logger.getLogger(TopicInitializer.class);

    private final KafkaClientConfig kafka;
    private final boolean enabled;
    private final AtomicBoolean done = new AtomicBoolean();
    private final ScheduledExecutorService retry = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "studio-topic-init");
        thread.setDaemon(true);
        return thread;
    });

    public TopicInitializer(
            KafkaClientConfig kafka,
            @ConfigProperty(name = "studio.kafka.create-topics", defaultValue = "true") boolean enabled) {
        this.kafka = kafka;
        this.enabled = enabled;
    }

    void onStart(@Observes StartupEvent event) {
        if (enabled) {
            retry.execute(this::attempt);
        } else {
            done.set(true);
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        retry.shutdownNow();
    }

    private void attempt() {
        try {
            StudioTopics.ensure(kafka.properties());
            done.set(true);
        } catch (RuntimeException e) {
            LOG.warnf("studio topics not created yet (%s); retrying in 5 s", e.getMessage());
            retry.schedule(this::attempt, 5, TimeUnit.SECONDS);
        }
    }

    /** Whether the topics are known to exist. */
    public boolean done() {
        return done.get();
    }
}
