package io.sage.studio.common.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/** Mode {@code token} with its own tokens file, re-read every 200 ms, that a test rewrites (revokes a token). */
public class RevocationProfile implements QuarkusTestProfile {

    static final String KEPT = "kept-viewer-token-7a6b5c4d3e2f1a0b";
    static final String REVOKED = "revoked-viewer-token-0f1e2d3c4b5a69";
    static final Path DIR = tempDir();
    static final Path TOKENS = DIR.resolve("tokens.json");

    static String tokens(String... values) {
        StringBuilder json = new StringBuilder("{\"tokens\": [");
        for (int i = 0; i < values.length; i++) {
            json.append(i == 0 ? "" : ",")
                    .append("{\"name\": \"user")
                    .append(i)
                    .append("\", \"role\": \"viewer\", \"token\": \"")
                    .append(values[i])
                    .append("\"}");
        }
        return json.append("]}").toString();
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        try {
            Files.writeString(TOKENS, tokens(KEPT, REVOKED));
            return Map.of(
                    "studio.auth.mode", "token",
                    "studio.events.signing-key", "test-signing-key-0123456789abcdef",
                    "studio.auth.tokens-file", TOKENS.toString(),
                    "studio.auth.reload-interval", "200ms",
                    "studio.home", Files.createDirectories(DIR.resolve("home")).toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("studio-auth-revocation");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
