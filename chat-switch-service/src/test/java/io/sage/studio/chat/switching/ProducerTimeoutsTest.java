package io.sage.studio.chat.switching;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.support.LocalEnvironment;
import io.sage.studio.kafka.KafkaTestResource;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;

/**
 * The producers the service waits on give up before it does: a route (or switch command) the service stopped waiting
 * for can never reach the topic afterwards, behind a rollback. Read from the producers actually built for the channels.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(LocalEnvironment.class)
class ProducerTimeoutsTest {

    @Inject
    KafkaClientService kafka;

    @Inject
    ChatConfig config;

    @Test
    void theRouteProducerGivesUpWithinTheRoutePublishTimeout() {
        assertBoundedBy(
                kafka.getProducer("chat-backend").configuration(),
                config.routePublishTimeout().toMillis());
    }

    @Test
    void theCommandProducerGivesUpWithinTheTenSecondsTheApiWaits() {
        assertBoundedBy(kafka.getProducer("chat-commands-out").configuration(), 10_000);
    }

    private static void assertBoundedBy(Map<String, ?> producer, long waitMs) {
        long maxBlock = Long.parseLong(String.valueOf(producer.get("max.block.ms")));
        long delivery = Long.parseLong(String.valueOf(producer.get("delivery.timeout.ms")));
        long request = Long.parseLong(String.valueOf(producer.get("request.timeout.ms")));
        long linger = producer.containsKey("linger.ms") ? Long.parseLong(String.valueOf(producer.get("linger.ms"))) : 5;
        assertThat(maxBlock + delivery).as("max.block.ms + delivery.timeout.ms").isLessThan(waitMs);
        assertThat(request + linger).as("request.timeout.ms + linger.ms").isLessThanOrEqualTo(delivery);
        assertThat(String.valueOf(producer.get("acks"))).isIn("all", "-1");
    }
}
