package io.sage.studio.kafka;

import java.io.File;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A real KRaft broker for {@code @QuarkusTest}s: one per test JVM, started on first use, topics created.
 * Use with {@code @WithTestResource(KafkaTestResource.class)} (or {@code @QuarkusTestResource}).
 *
 * <p>Quarkus loads test resources and test classes through class loaders it discards when it restarts the
 * application (another test profile). A broker started from such a loader would be started again by the next
 * one, and the orphan fails once its loader is closed. So the broker runs in a class loader of its own over
 * the JVM's class path, started once, and every loader finds it through a system property.
 */
public class KafkaTestResource implements QuarkusTestResourceLifecycleManager {

    /** System property holding the bootstrap servers of this JVM's test broker. */
    public static final String BOOTSTRAP_PROPERTY = "sage.test.kafka.bootstrap";

    /** The broker of this JVM (started on first call), as a handle for clients. */
    public static KafkaBroker broker() {
        return KafkaBroker.attached(bootstrapServers());
    }

    /** {@code host:port} of this JVM's test broker, started on first call. */
    public static String bootstrapServers() {
        synchronized (System.class) {
            String existing = System.getProperty(BOOTSTRAP_PROPERTY);
            if (existing != null) {
                return existing;
            }
            String bootstrap = startIsolated();
            System.setProperty(BOOTSTRAP_PROPERTY, bootstrap);
            return bootstrap;
        }
    }

    private static String startIsolated() {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        URLClassLoader loader =
                new URLClassLoader("sage-test-kafka", classPath(), ClassLoader.getPlatformClassLoader());
        // Kafka loads plug-in classes through the context loader, and its threads inherit it.
        thread.setContextClassLoader(loader);
        try {
            Class<?> brokerClass = Class.forName(KafkaBroker.class.getName(), true, loader);
            Object broker = brokerClass.getMethod("ephemeral").invoke(null);
            brokerClass.getMethod("start").invoke(broker);
            String bootstrap =
                    (String) brokerClass.getMethod("bootstrapServers").invoke(broker);
            Class.forName("io.sage.studio.events.StudioTopics", true, loader)
                    .getMethod("ensure", String.class)
                    .invoke(null, bootstrap);
            Method close = brokerClass.getMethod("close");
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(
                            () -> {
                                try {
                                    close.invoke(broker);
                                } catch (ReflectiveOperationException e) {
                                    // The JVM is going away; nothing left to clean up.
                                }
                            },
                            "test-broker-shutdown"));
            return bootstrap;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(
                    "cannot start the test Kafka broker", e.getCause() != null ? e.getCause() : e);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** The JVM's class path; a manifest-only jar (Surefire's) brings its Class-Path entries along. */
    private static URL[] classPath() {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.isBlank()) {
                try {
                    urls.add(new File(entry).toURI().toURL());
                } catch (MalformedURLException e) {
                    throw new IllegalStateException("bad class path entry " + entry, e);
                }
            }
        }
        return urls.toArray(URL[]::new);
    }

    @Override
    public Map<String, String> start() {
        return Map.of("kafka.bootstrap.servers", bootstrapServers());
    }

    @Override
    public void stop() {
        // The broker lives as long as the JVM so that several test classes and applications share it.
    }
}
