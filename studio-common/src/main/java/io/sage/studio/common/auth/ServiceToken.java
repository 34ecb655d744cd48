package io.sage.studio.common.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * The services' own credential ({@code studio.auth.service-token-file}): sent on calls between services that no
 * user request carries (a switch running in the background asking the finetune-service about a task), and accepted
 * from other services as caller {@code studio-service} with role viewer. Read at start-up; rotate by restarting.
 */
@ApplicationScoped
public class ServiceToken {

    /** The name the services' own calls are recorded under. */
    public static final String CALLER_NAME = "studio-service";

    private final Optional<String> token;
    private final byte[] digest;

    public ServiceToken(AuthConfig config) {
        this.token = config.mode() == AuthMode.NONE
                ? Optional.empty()
                : config.serviceTokenFile().map(ServiceToken::read);
        this.digest = token.map(CredentialsFile::sha256).orElse(null);
    }

    private static String read(Path file) {
        String value;
        try {
            value = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the service token file " + file
                    + " (studio.auth.service-token-file): " + e.getMessage());
        }
        if (value.length() < CredentialsFile.MIN_TOKEN_LENGTH || value.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalStateException("the service token in " + file + " must be one word of at least "
                    + CredentialsFile.MIN_TOKEN_LENGTH + " characters; generate one with: openssl rand -hex 32");
        }
        return value;
    }

    /** The {@code Authorization} header value for a call to another service, when a service token is configured. */
    public Optional<String> authorization() {
        return token.map(value -> "Bearer " + value);
    }

    /** Whether a presented bearer token is the service token (compared in constant time). */
    boolean matches(String presented) {
        return digest != null && MessageDigest.isEqual(digest, CredentialsFile.sha256(presented));
    }
}
