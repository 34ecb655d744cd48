package io.sage.studio.gateway.config;

import io.sage.studio.common.config.NotBlank;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Where the services behind {@code /api} listen ({@code studio.services.*}, shared with the other components). */
@ConfigMapping(prefix = "studio.services")
public interface ServicesConfig {

    /** The finetune-service (datasets, tasks, models). */
    @WithDefault("http://localhost:8081")
    @NotBlank
    String finetuneUrl();

    /** The chat-switch-service (current model, switches, backends). */
    @WithDefault("http://localhost:8082")
    @NotBlank
    String chatUrl();

    /** The gpu-probe-service ({@code /api/system/**}). */
    @WithDefault("http://localhost:8083")
    @NotBlank
    String gpuUrl();
}
