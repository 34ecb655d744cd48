package io.sage.studio.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.sage.studio.common.kafka.KafkaClientConfig;
import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.gateway.config.GatewayConfig;
import io.sage.studio.gateway.status.GatewayMetrics;
import io.sage.studio.kafka.KafkaTestResource;
import io.smallrye.config.SmallRyeConfigBuilder;

/**
 * A gateway (re)started after the route was published reads it from the beginning of the topic and is not ready
 * before it routes by it: at no moment is it ready with no route or a stale one.
 */
class RouteTableTest {

    @Test
    void aStartingGatewayIsReadyOnlyOnceItRoutesByThePublishedRoute() throws Exception {
        String bootstrap = KafkaTestResource.broker().bootstrapServers();
        long revision = System.currentTimeMillis();
        ChatBackendEvent event = new ChatBackendEvent(ChatBackendEvent.SCHEMA_VERSION, revision,
                ChatBackendEvent.State.ACTIVE, new ChatBackendEvent.Backend("restart-check", "http://127.0.0.1:8001",
                        "restart-model", null, null, null, "base", "local"),
                Instant.now(), "op-restart", null);
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(CloudEvents.record(event, CloudEvents.source("test"))).get(10, TimeUnit.SECONDS);
        }

        GatewayConfig config = new SmallRyeConfigBuilder()
                .withConverter(MemorySize.class, 100, new MemorySizeConverter())
                .withConverter(Duration.class, 100, new DurationConverter())
                .withMapping(GatewayConfig.class)
                .build()
                .getConfigMapping(GatewayConfig.class);
        RouteTable routes = new RouteTable(new KafkaClientConfig(Map.of("bootstrap.servers", bootstrap)), config,
                Optional::empty, new GatewayMetrics(new SimpleMeterRegistry()));
        ChatRouteHealthCheck readiness = new ChatRouteHealthCheck(routes);

        assertThat(readiness.call().getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
        assertThat(routes.current()).isSameAs(ActiveRoute.UNKNOWN);
        routes.start(null);
        try {
            await().atMost(Duration.ofSeconds(30)).until(routes::caughtUp);
            assertThat(readiness.call().getStatus()).isEqualTo(HealthCheckResponse.Status.UP);
            ActiveRoute route = routes.current();
            assertThat(route.serving()).isTrue();
            assertThat(route.event().revision()).isEqualTo(revision);
            assertThat(route.servedModel()).isEqualTo("restart-model");
            assertThat(routes.lastSwitch().operationId()).isEqualTo("op-restart");
        } finally {
            routes.stop(null);
        }
    }
}
