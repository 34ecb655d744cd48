package io.sage.studio.common.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A file of bearer credentials, typically a mounted Kubernetes Secret:
 *
 * <pre>{"tokens": [
 *   {"name": "alice", "role": "admin", "token_sha256": "&lt;hex SHA-256 of the token&gt;"},
 *   {"name": "ci", "role": "trainer", "token": "&lt;the token&gt;", "expires_at": "2027-01-01T00:00:00Z"}]}</pre>
 *
 * Only SHA-256 digests are kept in memory; a presented token is hashed and compared with every entry in constant
 * time. The file is checked for changes at most every reload interval; a broken new version is refused (logged
 * without its content) and the previous one stays in force. Tokens are never logged.
 */
final class CredentialsFile {

    /** Shortest token accepted in clear: 128 bits in base64url or hex. */
    static final int MIN_TOKEN_LENGTH = 22;

    private static final Logger LOG = Logger.getLogger(CredentialsFile.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final Duration reloadInterval;
    private final Clock clock;
    private volatile Snapshot snapshot;

    private CredentialsFile(Path file, Duration reloadInterval, Clock clock, Snapshot snapshot) {
        this.file = file;
        this.reloadInterval = reloadInterval;
        this.clock = clock;
        this.snapshot = snapshot;
    }

    /** Reads the file now; a missing or malformed file fails with a message that says what is wrong where. */
    static CredentialsFile load(Path file, Duration reloadInterval, Clock clock) {
        return new CredentialsFile(file, reloadInterval, clock, read(file, clock.instant()));
    }

    /** What a presented token is. */
    sealed interface Verdict {}

    record Valid(String name, StudioRole role) implements Verdict {}

    record Expired(String name, Instant at) implements Verdict {}

    record Unknown() implements Verdict {}

    Verdict verify(String token) {
        Snapshot current = current();
        byte[] digest = sha256(token);
        Entry match = null;
        for (Entry entry : current.entries()) {
            // No early exit: the time taken does not depend on which entry matches.
            if (MessageDigest.isEqual(entry.digest(), digest)) {
                match = entry;
            }
        }
        if (match == null) {
            return new Unknown();
        }
        if (match.expiresAt() != null && !clock.instant().isBefore(match.expiresAt())) {
            return new Expired(match.name(), match.expiresAt());
        }
        return new Valid(match.name(), match.role());
    }

    int size() {
        return current().entries().size();
    }

    private Snapshot current() {
        Snapshot current = snapshot;
        Instant now = clock.instant();
        if (Duration.between(current.checkedAt(), now).compareTo(reloadInterval) < 0) {
            return current;
        }
        Optional<String> stamp = stamp(file);
        if (stamp.equals(Optional.of(current.stamp()))) {
            snapshot = current.checkedAgainAt(now);
            return snapshot;
        }
        try {
            snapshot = read(file, now);
            LOG.infof("reloaded %s: %d credentials", file, snapshot.entries().size());
        } catch (IllegalStateException e) {
            LOG.errorf("keeping the previous credentials: %s", e.getMessage());
            snapshot = current.checkedAgainAt(now);
        }
        return snapshot;
    }

    private static Snapshot read(Path file, Instant now) {
        String stamp = stamp(file)
                .orElseThrow(() -> new IllegalStateException("credentials file " + file
                        + " does not exist (mount the Secret there, or point the setting at it)"));
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("credentials file " + file + " is not valid JSON (line "
                    + e.getLocation().getLineNr() + ")");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read credentials file " + file + ": " + e.getMessage());
        }
        JsonNode tokens = root == null ? null : root.get("tokens");
        if (tokens == null || !tokens.isArray()) {
            throw new IllegalStateException("credentials file " + file + " must be {\"tokens\": [...]}");
        }
        List<Entry> entries = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < tokens.size(); i++) {
            Entry entry = entry(tokens.get(i), "credentials file " + file + ", tokens[" + i + "]");
            if (!names.add(entry.name())) {
                throw new IllegalStateException(
                        "credentials file " + file + ", tokens[" + i + "]: name '" + entry.name() + "' is used twice");
            }
            entries.add(entry);
        }
        return new Snapshot(List.copyOf(entries), stamp, now);
    }

    private static Entry entry(JsonNode node, String where) {
        if (node == null || !node.isObject()) {
            throw new IllegalStateException(where + " must be an object");
        }
        String name = text(node, "name").orElseThrow(() -> new IllegalStateException(where + ": name is required"));
        String roleName = text(node, "role").orElse(StudioRole.VIEWER.id());
        StudioRole role = StudioRole.parse(roleName)
                .orElseThrow(() -> new IllegalStateException(
                        where + " (" + name + "): role must be viewer, trainer or admin, not '" + roleName + "'"));
        Optional<String> token = text(node, "token");
        Optional<String> hash = text(node, "token_sha256");
        if (token.isPresent() == hash.isPresent()) {
            throw new IllegalStateException(where + " (" + name + "): give exactly one of token and token_sha256");
        }
        byte[] digest;
        if (token.isPresent()) {
            if (token.get().length() < MIN_TOKEN_LENGTH) {
                throw new IllegalStateException(where + " (" + name + "): token is shorter than " + MIN_TOKEN_LENGTH
                        + " characters; generate one with: openssl rand -hex 32");
            }
            digest = sha256(token.get());
        } else {
            try {
                digest = HexFormat.of().parseHex(hash.get().toLowerCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                digest = new byte[0];
            }
            if (digest.length != 32) {
                throw new IllegalStateException(where + " (" + name + "): token_sha256 must be 64 hex digits");
            }
        }
        Instant expiresAt = null;
        Optional<String> expires = text(node, "expires_at");
        if (expires.isPresent()) {
            try {
                expiresAt = Instant.parse(expires.get());
            } catch (DateTimeParseException e) {
                throw new IllegalStateException(where + " (" + name + "): expires_at must be an ISO-8601 instant "
                        + "such as 2027-01-31T00:00:00Z");
            }
        }
        return new Entry(name, role, digest, expiresAt);
    }

    private static Optional<String> text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() || value.asText().isBlank()
                ? Optional.empty()
                : Optional.of(value.asText().strip());
    }

    /** What identifies a version of the file: its real path (a Secret volume swaps a link), size and time. */
    private static Optional<String> stamp(Path file) {
        try {
            Path real = file.toRealPath();
            return Optional.of(real + "|" + Files.size(real) + "|"
                    + Files.getLastModifiedTime(real).toMillis());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("unreadable: " + e.getMessage());
        }
    }

    static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private record Entry(String name, StudioRole role, byte[] digest, Instant expiresAt) {}

    private record Snapshot(List<Entry> entries, String stamp, Instant checkedAt) {

        Snapshot checkedAgainAt(Instant now) {
            return new Snapshot(entries, stamp, now);
        }
    }
}
