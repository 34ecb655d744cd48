package io.sage.studio.gateway.config;

import io.smallrye.config.ConfigMapping;

/** Settings of the gateway-adapter ({@code studio.gateway.*}); every key can be set by its environment variable. */
@ConfigMapping(prefix = "studio.gateway")
public interface GatewayConfig {
}
