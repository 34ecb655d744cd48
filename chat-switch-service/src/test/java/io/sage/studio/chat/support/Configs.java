package io.sage.studio.chat.support;

import java.time.Duration;
import java.util.Map;

import io.quarkus.runtime.configuration.DurationConverter;
import io.sage.studio.chat.config.ChatConfig;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/** The service's real {@link ChatConfig} mapping (defaults included) for plain unit tests, with some keys set. */
public final class Configs {

    private Configs() {}

    public static ChatConfig chat(Map<String, String> values) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(ChatConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withDefaultValues(values)
                .build();
        return config.getConfigMapping(ChatConfig.class);
    }
}
