package io.sage.studio.common.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * Mode {@code oidc} through quarkus-oidc, verifying RS256 access tokens with the provider's public key (as a
 * provider without discovery would be configured); roles come from the {@code groups} claim with a prefix.
 */
public class OidcModeProfile implements QuarkusTestProfile {

    static final String ISSUER = "https://idp.example.test/realms/sage";
    static final KeyPair PROVIDER_KEYS = rsa();

    @Override
    public Map<String, String> getConfigOverrides() {
        try {
            return Map.of(
                    "studio.auth.mode",
                    "oidc",
                    "studio.events.signing-key",
                    "test-signing-key-0123456789abcdef",
                    "studio.auth.oidc.role-prefix",
                    "studio-",
                    "quarkus.oidc.tenant-enabled",
                    "true",
                    "quarkus.oidc.public-key",
                    Base64.getEncoder().encodeToString(PROVIDER_KEYS.getPublic().getEncoded()),
                    "quarkus.oidc.token.issuer",
                    ISSUER,
                    "quarkus.oidc.roles.role-claim-path",
                    "groups",
                    "studio.home",
                    Files.createTempDirectory("studio-auth-oidc").toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static KeyPair rsa() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
