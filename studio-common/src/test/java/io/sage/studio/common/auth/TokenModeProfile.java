package io.sage.studio.common.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/** Mode {@code token} with a tokens file of every role (one stored as a hash, one expired) and a /v1 API key. */
public class TokenModeProfile implements QuarkusTestProfile {

    public static final String VIEWER = "viewer-token-4f1d0c2b9a8e7d6c";
    public static final String ALICE = "alice-trainer-token-1b2c3d4e5f6a";
    static final String BOB = "bob-trainer-token-a6f5e4d3c2b1a0";
    public static final String ADMIN = "admin-token-9e8d7c6b5a4f3e2d1c";
    static final String EXPIRED = "expired-trainer-token-0a1b2c3d4e";
    static final String API_KEY = "sk-chat-api-key-5d4c3b2a1f0e9d";
    static final String SERVICE = "service-token-8c7b6a5f4e3d2c1b0a";

    @Override
    public Map<String, String> getConfigOverrides() {
        try {
            Path dir = Files.createTempDirectory("studio-auth-token");
            Path tokens = Files.writeString(dir.resolve("tokens.json"), """
                    {"tokens": [
                      {"name": "vera", "role": "viewer", "token": "%s"},
                      {"name": "alice", "role": "trainer", "token": "%s"},
                      {"name": "bob", "role": "trainer", "token": "%s", "expires_at": "2999-01-01T00:00:00Z"},
                      {"name": "root", "role": "admin", "token_sha256": "%s"},
                      {"name": "old-ci", "role": "trainer", "token": "%s", "expires_at": "2020-01-01T00:00:00Z"}
                    ]}
                    """.formatted(
                            VIEWER, ALICE, BOB, HexFormat.of().formatHex(CredentialsFile.sha256(ADMIN)), EXPIRED));
            Path apiKeys = Files.writeString(dir.resolve("api-keys.json"), """
                    {"tokens": [{"name": "chat-app", "token": "%s"}]}
                    """.formatted(API_KEY));
            Path service = Files.writeString(dir.resolve("service-token"), SERVICE + "\n");
            return Map.of(
                    "studio.auth.mode", "token",
                    "studio.events.signing-key", "test-signing-key-0123456789abcdef",
                    "studio.auth.tokens-file", tokens.toString(),
                    "studio.auth.openai-api-keys-file", apiKeys.toString(),
                    "studio.auth.service-token-file", service.toString(),
                    "quarkus.rest-client.self.url", "http://localhost:${quarkus.http.test-port}",
                    "studio.home", Files.createDirectories(dir.resolve("home")).toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
