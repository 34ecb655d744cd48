package io.sage.studio.common.config;

import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.SmallRyeConfigBuilderCustomizer;

/**
 * Installs {@link ConfigChecks} as the configuration's validator in every service that has studio-common (registered
 * in {@code META-INF/services}; Quarkus adds it to the configuration it builds at start-up).
 */
public final class ConfigChecksCustomizer implements SmallRyeConfigBuilderCustomizer {

    @Override
    public void configBuilder(SmallRyeConfigBuilder builder) {
        builder.withValidator(new ConfigChecks());
    }
}
