package io.sage.studio.chat.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.runtime.configuration.DurationConverter;
import io.sage.studio.common.config.ConfigChecks;
import io.smallrye.config.ConfigValidationException;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/** The engines' port range leaves the gateway's stable LLM port alone (the seed's SAGE_STUDIO_LLM_PORT, 8001). */
class LocalPortsTest {

    private static ChatConfig config(Map<String, String> values) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(ChatConfig.class)
                .withConverter(Duration.class, 100, new DurationConverter())
                .withValidator(new ConfigChecks())
                .withSources(new PropertiesConfigSource(values, "test", 500))
                .build();
        return config.getConfigMapping(ChatConfig.class);
    }

    @Test
    void theDefaultRangeLeaves8001ToTheGateway() {
        ChatConfig config = config(Map.of("studio.chat.local.llm-port", "8001"));
        assertThat(config.local().ports()).isEqualTo("8002-8011");
        assertThat(ChatConfig.Local.includes(config.local().ports(), 8001)).isFalse();
    }

    @Test
    void aRangeThatIncludesTheLlmPortIsRefusedNamingBothSettings() {
        assertThatThrownBy(() ->
                        config(Map.of("studio.chat.local.ports", "8001-8010", "studio.chat.local.llm-port", "8001")))
                .isInstanceOf(ConfigValidationException.class)
                .hasMessageContaining("studio.chat.local.ports")
                .hasMessageContaining("SAGE_STUDIO_LLM_PORT");
        assertThatThrownBy(() -> config(
                        Map.of("studio.chat.local.ports", "9000,9100-9105", "studio.chat.local.llm-port", "9103")))
                .isInstanceOf(ConfigValidationException.class);
    }

    @Test
    void withoutAnLlmPortOrOutsideTheRangeNothingIsRefused() {
        assertThat(config(Map.of("studio.chat.local.ports", "8001-8010"))
                        .local()
                        .ports())
                .isEqualTo("8001-8010");
        assertThat(config(Map.of(
                                "studio.chat.local.ports", "8002-8004,8006-8012", "studio.chat.local.llm-port", "8005"))
                        .local()
                        .llmPort())
                .contains(8005);
    }

    @Test
    void includesReadsRangesSinglePortsAndMixes() {
        assertThat(ChatConfig.Local.includes("8001-8010", 8010)).isTrue();
        assertThat(ChatConfig.Local.includes("8001, 8005", 8005)).isTrue();
        assertThat(ChatConfig.Local.includes("8001, 8005", 8003)).isFalse();
        assertThat(ChatConfig.Local.includes("x-y,8007", 8007)).isTrue();
    }
}
