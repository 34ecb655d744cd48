package io.sage.studio.common.auth;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Authentication of every studio service ({@code studio.auth.*}, env {@code STUDIO_AUTH_*}). */
@ConfigMapping(prefix = "studio.auth")
public interface AuthConfig {

    /** {@code none} (loopback only), {@code token} or {@code oidc}. */
    @WithDefault("none")
    AuthMode mode();

    /** The tokens file of mode {@code token} (a mounted Kubernetes Secret): {@code {"tokens": [...]}}. */
    Optional<Path> tokensFile();

    /** API keys accepted on {@code /v1/*} besides the studio tokens (same format; the role is ignored). */
    Optional<Path> openaiApiKeysFile();

    /**
     * A file holding the one token the services send each other on calls made outside a user's request (and
     * accept as caller {@code studio-service}, role viewer), in modes {@code token} and {@code oidc}.
     */
    Optional<Path> serviceTokenFile();

    /** How often the tokens and API keys files are checked for changes (a rotated Secret needs no restart). */
    @WithDefault("10s")
    Duration reloadInterval();

    Oidc oidc();

    /** Mode {@code oidc}; the provider itself is configured with {@code quarkus.oidc.*}. */
    interface Oidc {

        /**
         * Prefix of the role values in the roles claim ({@code quarkus.oidc.roles.role-claim-path}): with
         * {@code sage-studio-}, the value {@code sage-studio-admin} grants admin. Unset: the bare role names.
         */
        Optional<String> rolePrefix();
    }
}
