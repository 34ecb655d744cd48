package io.sage.studio.common.kafka;

import java.util.Map;
import java.util.Properties;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.smallrye.common.annotation.Identifier;

/**
 * The {@code kafka.*} client settings of this service (bootstrap servers, TLS, SASL) for plain Kafka clients,
 * so that admin clients and compacted-topic views reach the same cluster as the SmallRye channels.
 */
@ApplicationScoped
public class KafkaClientConfig {

    private final Map<String, Object> defaults;

    @Inject
    public KafkaClientConfig(@Identifier("default-kafka-broker") Map<String, Object> defaults) {
        this.defaults = Map.copyOf(defaults);
    }

    /** A fresh copy of the client settings. */
    public Properties properties() {
        Properties props = new Properties();
        defaults.forEach((key, value) -> props.put(key, String.valueOf(value)));
        return props;
    }

    public String bootstrapServers() {
        return String.valueOf(defaults.getOrDefault("bootstrap.servers", "localhost:9092"));
    }
}
