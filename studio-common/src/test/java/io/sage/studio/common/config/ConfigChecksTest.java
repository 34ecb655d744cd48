package io.sage.studio.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.ConfigValidationException;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

/** The start-up checks of the studio's config mappings, on a mapping read by SmallRye Config as a service reads it. */
class ConfigChecksTest {

    @ConfigMapping(prefix = "demo.svc")
    public interface DemoConfig {

        @WithDefault("16")
        @Range(min = 1, max = 1024)
        int maxQueued();

        @Range(min = 1, max = 65535)
        Optional<Integer> llmPort();

        @WithDefault("0.9")
        @Range(min = 0.05, max = 1.0)
        double gpuMemoryUtilization();

        @WithDefault("model")
        @NotBlank
        String modelAlias();

        @WithName("keep")
        @WithDefault("10")
        @Range(min = 1)
        long keepLogs();

        Engine engine();

        interface Engine {

            @WithDefault("1")
            @Range(min = 1, max = 256)
            int maxLoras();

            @WithDefault("8")
            int maxCpuLoras();

            @Holds("demo.svc.engine.max-cpu-loras must be at least demo.svc.engine.max-loras")
            default boolean isCpuCacheLargeEnough() {
                return maxCpuLoras() >= maxLoras();
            }
        }
    }

    private static DemoConfig read(Map<String, String> values) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(DemoConfig.class)
                .withValidator(new ConfigChecks())
                .withSources(new PropertiesConfigSource(values, "test", 500))
                .build();
        return config.getConfigMapping(DemoConfig.class);
    }

    @Test
    void theDefaultsPass() {
        DemoConfig config = read(Map.of());
        assertThat(config.maxQueued()).isEqualTo(16);
        assertThat(config.engine().maxCpuLoras()).isEqualTo(8);
    }

    @Test
    void everyBrokenRuleIsNamedWithItsPropertyAndEnvironmentVariable() {
        assertThatThrownBy(() -> read(Map.of(
                        "demo.svc.max-queued", "0",
                        "demo.svc.llm-port", "70000",
                        "demo.svc.gpu-memory-utilization", "0.01",
                        "demo.svc.model-alias", "  ",
                        "demo.svc.keep", "0",
                        "demo.svc.engine.max-loras", "300",
                        "demo.svc.engine.max-cpu-loras", "4")))
                .isInstanceOf(ConfigValidationException.class)
                .satisfies(e -> assertThat(((ConfigValidationException) e).getProblemCount())
                        .isEqualTo(7))
                .hasMessageContaining("demo.svc.max-queued (DEMO_SVC_MAX_QUEUED) is 0: it must be between 1 and 1024")
                .hasMessageContaining("demo.svc.llm-port (DEMO_SVC_LLM_PORT) is 70000: it must be between 1 and 65535")
                .hasMessageContaining("demo.svc.gpu-memory-utilization (DEMO_SVC_GPU_MEMORY_UTILIZATION) is 0.01: it"
                        + " must be between 0.05 and 1")
                .hasMessageContaining("demo.svc.model-alias (DEMO_SVC_MODEL_ALIAS) is blank")
                .hasMessageContaining("demo.svc.keep (DEMO_SVC_KEEP) is 0: it must be at least 1")
                .hasMessageContaining("demo.svc.engine.max-loras (DEMO_SVC_ENGINE_MAX_LORAS) is 300")
                .hasMessageContaining("demo.svc.engine.max-cpu-loras must be at least demo.svc.engine.max-loras");
    }

    @Test
    void boundsAreInclusiveAndAnUnsetOptionalIsNotChecked() {
        DemoConfig config = read(
                Map.of("demo.svc.max-queued", "1024", "demo.svc.gpu-memory-utilization", "1.0", "demo.svc.keep", "1"));
        assertThat(config.llmPort()).isEmpty();
        assertThat(config.maxQueued()).isEqualTo(1024);
    }

    @Test
    void propertyNamesFollowSmallRyeKebabCase() {
        assertThat(ConfigChecks.kebab("maxCpuLoras")).isEqualTo("max-cpu-loras");
        assertThat(ConfigChecks.kebab("port")).isEqualTo("port");
        assertThat(ConfigChecks.named("studio.chat.keep-operations"))
                .isEqualTo("studio.chat.keep-operations (STUDIO_CHAT_KEEP_OPERATIONS)");
    }
}
