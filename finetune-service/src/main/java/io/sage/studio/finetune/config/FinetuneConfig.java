package io.sage.studio.finetune.config;

import io.smallrye.config.ConfigMapping;

/** Settings of the finetune-service ({@code studio.finetune.*}); every key can be set by its environment variable. */
@ConfigMapping(prefix = "studio.finetune")
public interface FinetuneConfig {
}
