package io.sage.studio.kafka;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

import io.sage.studio.events.StudioTopics;

/**
 * The local studio broker as its own process: {@code StandaloneBroker <data-dir> <port> <controller-port>}.
 * Started by {@code ./sage studio start}; its data lives under {@code $STUDIO_HOME/studio/kafka}.
 * Creates the studio topics once the broker answers, then runs until SIGTERM.
 */
public final class StandaloneBroker {

    /** The start of the line printed once the broker answers and holds the studio topics. */
    public static final String READY = "SAGE Studio Kafka broker ready on ";

    private StandaloneBroker() {}

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 3) {
            System.err.println("usage: StandaloneBroker <data-dir> <port> <controller-port>");
            System.exit(64);
        }
        KafkaBroker broker = new KafkaBroker(Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            broker.close();
                            stopped.countDown();
                        },
                        "broker-shutdown"));
        broker.start();
        StudioTopics.ensure(broker.bootstrapServers());
        System.out.println(READY + broker.bootstrapServers());
        stopped.await();
    }
}
