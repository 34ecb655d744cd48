package io.sage.studio.gpu.config;

import io.smallrye.config.ConfigMapping;

/** Settings of the gpu-probe-service ({@code studio.gpu.*}); every key can be set by its environment variable. */
@ConfigMapping(prefix = "studio.gpu")
public interface GpuConfig {
}
