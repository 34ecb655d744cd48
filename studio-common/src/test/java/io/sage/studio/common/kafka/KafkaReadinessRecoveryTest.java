package io.sage.studio.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sage.studio.kafka.KafkaBroker;

/**
 * A service started beside its broker ({@code ./sage studio start}) turns ready soon after the broker does: a "down"
 * answer is not kept for the second an "up" one is, and the probe finds a broker that appears later.
 */
class KafkaReadinessRecoveryTest {

    @Test
    void aDownAnswerIsAskedAgainSoonAndReadinessTurnsUpOnceTheBrokerAnswers(@TempDir Path dir) throws Exception {
        int port = KafkaBroker.freePort();
        KafkaReadiness readiness = new KafkaReadiness(
                new KafkaClientConfig(Map.of("bootstrap.servers", "127.0.0.1:" + port)), Duration.ofMillis(500), true);
        try (KafkaBroker broker = new KafkaBroker(dir, port, KafkaBroker.freePort())) {
            HealthCheckResponse down = readiness.call();
            assertThat(down.getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);

            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(KafkaReadiness.DOWN_CACHE_NANOS) + 100);
            assertThat(readiness.call())
                    .as("a down answer is probed again, not kept")
                    .isNotSameAs(down);

            broker.start();
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> readiness.call().getStatus() == HealthCheckResponse.Status.UP);
            HealthCheckResponse up = readiness.call();
            assertThat(readiness.call()).as("an up answer is kept for a second").isSameAs(up);
        } finally {
            readiness.close();
        }
    }
}
