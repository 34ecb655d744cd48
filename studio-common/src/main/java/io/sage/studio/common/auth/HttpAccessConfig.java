package io.sage.studio.common.auth;

import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Which names a service answers to, and which origins may change state ({@code studio.http.*}). */
@ConfigMapping(prefix = "studio.http")
public interface HttpAccessConfig {

    /**
     * Host names (without port) a request's {@code Host} may carry; any other gets 421. A leading {@code *.} matches
     * any sub-domain ({@code *.svc.cluster.local}); the single entry {@code *} turns the check off. Guards against
     * DNS rebinding: a page on {@code evil.example} that re-points its name at 127.0.0.1 still sends
     * {@code Host: evil.example}. Env {@code STUDIO_HTTP_ALLOWED_HOSTS}.
     */
    @WithDefault("localhost,127.0.0.1,[::1]")
    List<String> allowedHosts();

    /**
     * Extra origins ({@code https://ui.example.com}) allowed to send state-changing requests, besides pages served
     * from an allowed host. Env {@code STUDIO_HTTP_ALLOWED_ORIGINS}.
     */
    Optional<List<String>> allowedOrigins();
}
