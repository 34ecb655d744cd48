package io.sage.studio.gateway.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * The gateway with authentication on ({@code studio.auth.mode=token}), as the tests of the gate share it: a tokens
 * file in a fresh temporary directory holding an admin ({@code ada}, {@link #ADMIN}) and a viewer ({@code vera},
 * {@link #VIEWER}), and the event signing key of {@link RoutePublisher#SIGNING_KEY} (without one a service in token
 * mode refuses to start; with it the gateway takes only route events signed with it, as the publisher signs them). A
 * test that needs more settings subclasses it and overrides {@link #more}.
 */
public class TokenModeProfile implements QuarkusTestProfile {

    public static final String ADMIN = "admin-token-5c1e9a7b3d8f2e4a";
    public static final String VIEWER = "viewer-token-0b7d3f9e1a5c8b2d";

    @Override
    public final Map<String, String> getConfigOverrides() {
        try {
            Path dir = Files.createTempDirectory("gateway-token-mode");
            Path tokens = Files.writeString(
                    dir.resolve("tokens.json"),
                    "{\"tokens\": [{\"name\": \"ada\", \"role\": \"admin\", \"token\": \"" + ADMIN + "\"},"
                            + " {\"name\": \"vera\", \"role\": \"viewer\", \"token\": \"" + VIEWER + "\"}]}");
            Map<String, String> config = new HashMap<>(Map.of(
                    "studio.auth.mode",
                    "token",
                    "studio.events.signing-key",
                    RoutePublisher.SIGNING_KEY,
                    "studio.auth.tokens-file",
                    tokens.toString()));
            config.putAll(more(dir));
            return config;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The settings a test adds to token mode; files it needs go to {@code dir}, the profile's own directory. */
    protected Map<String, String> more(Path dir) throws IOException {
        return Map.of();
    }
}
