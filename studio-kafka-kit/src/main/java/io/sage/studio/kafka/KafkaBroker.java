package io.sage.studio.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;

/**
 * A single-node KRaft broker (broker and controller in one) running in this JVM.
 *
 * <p>Tests use a throw-away data directory; {@link StandaloneBroker} points it at
 * {@code $STUDIO_HOME/studio/kafka} so the data survives restarts. The storage is formatted only once.
 */
public final class KafkaBroker implements AutoCloseable {

    private final Path dataDir;
    private final int port;
    private final int controllerPort;
    private KafkaRaftServer server;

    public KafkaBroker(Path dataDir, int port, int controllerPort) {
        this.dataDir = dataDir;
        this.port = port;
        this.controllerPort = controllerPort;
    }

    /**
     * A handle on a broker that runs elsewhere (another class loader or process): it only knows the address;
     * {@link #start()} and {@link #close()} do nothing.
     */
    public static KafkaBroker attached(String bootstrapServers) {
        int colon = bootstrapServers.lastIndexOf(':');
        return new KafkaBroker(null, Integer.parseInt(bootstrapServers.substring(colon + 1)), -1);
    }

    /** A broker on two free loopback ports with a fresh temporary data directory. */
    public static KafkaBroker ephemeral() {
        try {
            Path dir = Files.createTempDirectory("studio-kafka-");
            return new KafkaBroker(dir, freePort(), freePort());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public synchronized KafkaBroker start() {
        if (server != null || dataDir == null) {
            return this;
        }
        try {
            Path logDir = dataDir.resolve("data");
            Files.createDirectories(logDir);
            Properties props = config(logDir);
            Path cfg = dataDir.resolve("server.properties");
            try (Writer out = Files.newBufferedWriter(cfg, StandardCharsets.UTF_8)) {
                props.store(out, "SAGE Studio KRaft broker (generated)");
            }
            if (!Files.exists(logDir.resolve("meta.properties"))) {
                format(cfg);
            }
            server = new KafkaRaftServer(new KafkaConfig(props, false), Time.SYSTEM);
            server.startup();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Properties config(Path logDir) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        p.put("num.partitions", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "3");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "false");
        // Sized for a studio's few events per second, not a cluster's load (Kafka's defaults start 96 threads).
        p.put("num.network.threads", "1");
        p.put("num.io.threads", "2");
        p.put("background.threads", "2");
        p.put("group.coordinator.threads", "1");
        p.put("share.coordinator.threads", "1");
        // Compaction should be visible within minutes on a developer machine.
        p.put("log.cleaner.backoff.ms", "5000");
        return p;
    }

    private void format(Path cfg) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        String clusterId = Uuid.randomUuid().toString();
        int rc;
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            rc = StorageTool.execute(new String[] {"format", "-t", clusterId, "-c", cfg.toString()}, out);
        }
        if (rc != 0) {
            throw new IllegalStateException(
                    "formatting Kafka storage in " + dataDir + " failed: " + buffer.toString(StandardCharsets.UTF_8));
        }
    }

    /** {@code host:port} for clients. */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
    }

    /** A port free on the loopback interface right now. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
