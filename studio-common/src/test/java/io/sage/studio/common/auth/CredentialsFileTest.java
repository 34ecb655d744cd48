package io.sage.studio.common.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sage.studio.common.auth.CredentialsFile.Expired;
import io.sage.studio.common.auth.CredentialsFile.Unknown;
import io.sage.studio.common.auth.CredentialsFile.Valid;

class CredentialsFileTest {

    static final String ALICE = "alice-0123456789abcdefghij";
    static final String BOB = "bob-0123456789abcdefghijkl";

    @TempDir
    Path dir;

    Instant now = Instant.parse("2026-06-01T12:00:00Z");
    final Clock clock = new Clock() {
        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    };

    Path write(String json) throws IOException {
        return Files.writeString(dir.resolve("tokens.json"), json);
    }

    CredentialsFile load(String json) throws IOException {
        return CredentialsFile.load(write(json), Duration.ofSeconds(10), clock);
    }

    @Test
    void clearAndHashedTokensVerifyToTheirNameAndRole() throws IOException {
        CredentialsFile file =
                load("""
                {"tokens": [
                  {"name": "alice", "role": "trainer", "token": "%s"},
                  {"name": "bob", "role": "ADMIN", "token_sha256": "%s"},
                  {"name": "carol", "token": "carol-0123456789abcdefghij"}]}
                """.formatted(ALICE, HexFormat.of().withUpperCase().formatHex(CredentialsFile.sha256(BOB))));
        assertThat(file.verify(ALICE)).isEqualTo(new Valid("alice", StudioRole.TRAINER));
        assertThat(file.verify(BOB)).isEqualTo(new Valid("bob", StudioRole.ADMIN));
        assertThat(file.verify("carol-0123456789abcdefghij")).isEqualTo(new Valid("carol", StudioRole.VIEWER));
        assertThat(file.verify(ALICE.substring(1))).isInstanceOf(Unknown.class);
        assertThat(file.verify("")).isInstanceOf(Unknown.class);
    }

    @Test
    void aTokenStopsWorkingAtItsExpiry() throws IOException {
        CredentialsFile file = load("""
                {"tokens": [{"name": "ci", "role": "trainer", "token": "%s", "expires_at": "2026-06-01T12:00:05Z"}]}
                """.formatted(ALICE));
        assertThat(file.verify(ALICE)).isInstanceOf(Valid.class);
        now = now.plusSeconds(5);
        assertThat(file.verify(ALICE)).isEqualTo(new Expired("ci", Instant.parse("2026-06-01T12:00:05Z")));
    }

    @Test
    void badFilesFailWithAMessageThatSaysWhereAndNeverShowsATokenValue() throws IOException {
        assertThatThrownBy(() -> CredentialsFile.load(dir.resolve("missing.json"), Duration.ZERO, clock))
                .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> load("{\"tokens\": [ {\"name\": ")).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> load("[]")).hasMessageContaining("must be {\"tokens\": [...]}");
        assertThatThrownBy(() -> load("{\"tokens\": [{\"role\": \"admin\", \"token\": \"%s\"}]}".formatted(ALICE)))
                .hasMessageContaining("tokens[0]: name is required");
        assertThatThrownBy(() -> load(
                        "{\"tokens\": [{\"name\": \"a\", \"role\": \"root\", \"token\": \"%s\"}]}".formatted(ALICE)))
                .hasMessageContaining("role must be viewer, trainer or admin, not 'root'")
                .hasMessageNotContaining(ALICE);
        assertThatThrownBy(() -> load("{\"tokens\": [{\"name\": \"a\", \"token\": \"short-secret\"}]}"))
                .hasMessageContaining("shorter than 22 characters")
                .hasMessageNotContaining("short-secret");
        assertThatThrownBy(() -> load("{\"tokens\": [{\"name\": \"a\", \"token\": \"%s\", \"token_sha256\": \"00\"}]}"
                        .formatted(ALICE)))
                .hasMessageContaining("exactly one of token and token_sha256");
        assertThatThrownBy(() -> load("{\"tokens\": [{\"name\": \"a\", \"token_sha256\": \"abc\"}]}"))
                .hasMessageContaining("64 hex digits");
        assertThatThrownBy(() -> load("""
                {"tokens": [{"name": "a", "token": "%s"}, {"name": "a", "token": "%s"}]}""".formatted(ALICE, BOB))).hasMessageContaining("name 'a' is used twice");
        assertThatThrownBy(() -> load("{\"tokens\": [{\"name\": \"a\", \"token\": \"%s\", \"expires_at\": \"soon\"}]}"
                        .formatted(ALICE)))
                .hasMessageContaining("ISO-8601");
    }

    @Test
    void aRotatedFileIsPickedUpAfterTheReloadIntervalAndABrokenOneIsIgnored() throws IOException {
        Path path = write("{\"tokens\": [{\"name\": \"alice\", \"token\": \"%s\"}]}".formatted(ALICE));
        CredentialsFile file = CredentialsFile.load(path, Duration.ofSeconds(10), clock);

        // A Kubernetes Secret volume swaps a symbolic link to a new file.
        Path next = Files.writeString(
                dir.resolve("next.json"), "{\"tokens\": [{\"name\": \"bob\", \"token\": \"%s\"}]}".formatted(BOB));
        Files.move(next, path, StandardCopyOption.REPLACE_EXISTING);
        assertThat(file.verify(BOB)).as("not before the interval").isInstanceOf(Unknown.class);
        now = now.plusSeconds(10);
        assertThat(file.verify(BOB)).isEqualTo(new Valid("bob", StudioRole.VIEWER));
        assertThat(file.verify(ALICE)).isInstanceOf(Unknown.class);

        Files.writeString(path, "{\"tokens\": [{\"name\": \"x\", \"token\": \"too-short\"}]}");
        now = now.plusSeconds(10);
        assertThat(file.verify(BOB)).as("the previous tokens stay").isInstanceOf(Valid.class);
    }
}
