package io.sage.studio.chat.messaging;

import java.time.Duration;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.eclipse.microprofile.config.Config;

import io.sage.studio.chat.config.ChatConfig;
import io.smallrye.reactive.messaging.ClientCustomizer;

/**
 * Bounds the producers of this service's waits: a send on {@code chat-backend} (routes) or {@code chat-commands-out}
 * (switch commands) either succeeds or fails before the code that waits for it gives up. Kafka's defaults
 * ({@code delivery.timeout.ms} 120 s, {@code max.block.ms} 60 s) would let a route the service gave up on (and whose
 * engine it then stopped) still reach the topic later. Set from {@code studio.chat.route-publish-timeout} (and the
 * 10 s command wait) rather than {@code mp.messaging} keys, so the bound follows the wait it protects.
 */
@ApplicationScoped
public class ProducerTimeouts implements ClientCustomizer<Map<String, Object>> {

    static final String ROUTES = "chat-backend";
    static final String COMMANDS = "chat-commands-out";
    /** How long the REST API waits for a switch command to be acknowledged. */
    public static final Duration COMMAND_PUBLISH_TIMEOUT = Duration.ofSeconds(10);

    private final Duration routeTimeout;

    public ProducerTimeouts(ChatConfig config) {
        this.routeTimeout = config.routePublishTimeout();
    }

    @Override
    public Map<String, Object> customize(String channel, Config channelConfig, Map<String, Object> config) {
        if (ROUTES.equals(channel)) {
            config.putAll(within(routeTimeout, lingerOf(config)));
        } else if (COMMANDS.equals(channel)) {
            config.putAll(within(COMMAND_PUBLISH_TIMEOUT, lingerOf(config)));
        }
        return config;
    }

    /**
     * Producer timeouts whose sum stays below {@code wait}: at most 20 % blocked in {@code send} (metadata, full
     * buffer), then at most 70 % until the broker acknowledges or the producer gives up; one request may take half of
     * that (Kafka requires {@code delivery.timeout.ms >= linger.ms + request.timeout.ms}).
     */
    static Map<String, Object> within(Duration wait, long lingerMs) {
        long total = Math.max(wait.toMillis(), 1000);
        long maxBlock = total / 5;
        long delivery = total * 7 / 10;
        long request = Math.max(1, Math.min(30_000, (delivery - lingerMs) / 2));
        return Map.of(
                ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(maxBlock),
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                        Integer.toString((int) Math.min(Integer.MAX_VALUE, delivery)),
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString((int) request));
    }

    private static long lingerOf(Map<String, Object> config) {
        Object linger = config.get(ProducerConfig.LINGER_MS_CONFIG);
        try {
            return linger == null ? 5 : Long.parseLong(linger.toString());
        } catch (NumberFormatException e) {
            return 5;
        }
    }
}
