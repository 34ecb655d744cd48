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
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.sage.studio.common.auth.AuthMode;
import io.sage.studio.common.kafka.EventSigning;
import io.sage.studio.common.kafka.KafkaClientConfig;
import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.EventSignature;
import io.sage.studio.gateway.config.CloudConfig;
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
        ChatBackendEvent event = new ChatBackendEvent(
                ChatBackendEvent.SCHEMA_VERSION,
                revision,
                ChatBackendEvent.State.ACTIVE,
                new ChatBackendEvent.Backend(
                        "restart-check", "http://127.0.0.1:8001", "restart-model", null, null, null, "base", "local"),
                Instant.now(),
                "op-restart",
                null);
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(CloudEvents.record(event, CloudEvents.source("test"))).get(10, TimeUnit.SECONDS);
        }

        RouteTable routes = routeTable(bootstrap, Optional.empty());
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

    @Test
    void withASigningKeyOnlySignedRoutesAreFollowedAndAReplayedOlderRouteIsIgnored() throws Exception {
        String bootstrap = KafkaTestResource.broker().bootstrapServers();
        String key = "gateway-test-signing-key-5e4d3c2b1a";
        long revision = System.currentTimeMillis() + 1_000_000;
        ProducerRecord<String, byte[]> old = route(revision, "http://127.0.0.1:8001", "old-model");
        ProducerRecord<String, byte[]> current = route(revision + 1, "http://127.0.0.1:8002", "current-model");
        EventSignature.withKey(key).sign(old.headers(), old.value());
        EventSignature.withKey(key).sign(current.headers(), current.value());
        RouteTable routes = routeTable(bootstrap, Optional.of(key));
        routes.start(null);
        try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
            await().atMost(Duration.ofSeconds(30)).until(routes::caughtUp);
            producer.send(current).get(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> routes.current().serving()
                            && "current-model".equals(routes.current().servedModel()));

            // A producer without the key, then a captured older signed route played again: neither is followed.
            producer.send(route(revision + 5, "http://collector.evil.example", "stolen"))
                    .get(10, TimeUnit.SECONDS);
            producer.send(old).get(10, TimeUnit.SECONDS);
            ProducerRecord<String, byte[]> barrier = route(revision + 2, "http://127.0.0.1:8003", "barrier-model");
            EventSignature.withKey(key).sign(barrier.headers(), barrier.value());
            producer.send(barrier).get(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> "barrier-model".equals(routes.current().servedModel()));
            assertThat(routes.current().event().revision()).isEqualTo(revision + 2);
        } finally {
            routes.stop(null);
        }
    }

    private static ProducerRecord<String, byte[]> route(long revision, String baseUrl, String model) {
        return CloudEvents.record(
                new ChatBackendEvent(
                        ChatBackendEvent.SCHEMA_VERSION,
                        revision,
                        ChatBackendEvent.State.ACTIVE,
                        new ChatBackendEvent.Backend("b-" + model, baseUrl, model, null, null, null, "base", "local"),
                        Instant.now(),
                        "op-" + model,
                        null),
                CloudEvents.source("test"));
    }

    private static KafkaProducer<String, byte[]> producer(String bootstrap) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    private static RouteTable routeTable(String bootstrap, Optional<String> signingKey) {
        GatewayConfig config = new SmallRyeConfigBuilder()
                .withConverter(MemorySize.class, 100, new MemorySizeConverter())
                .withConverter(Duration.class, 100, new DurationConverter())
                .withMapping(GatewayConfig.class)
                .build()
                .getConfigMapping(GatewayConfig.class);
        CloudConfig cloud = new CloudConfig() {
            @Override
            public Optional<String> apiKey() {
                return Optional.empty();
            }

            @Override
            public Optional<String> baseUrl() {
                return Optional.empty();
            }
        };
        return new RouteTable(
                new KafkaClientConfig(Map.of("bootstrap.servers", bootstrap)),
                config,
                cloud,
                new GatewayMetrics(new SimpleMeterRegistry()),
                new EventSigning(
                        signingKey, signingKey.isPresent() ? AuthMode.TOKEN : AuthMode.NONE, Optional.empty()));
    }
}
