package io.sage.studio.cli.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code STUDIO_BUILD=never}: the launcher starts the jars as they are and never runs Maven. */
class StudioBuildTest {

    private static final Instant PACKAGED = Instant.parse("2026-11-01T12:00:00Z");

    @TempDir
    Path repo;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private LauncherSettings settings(String build) {
        return LauncherSettings.from(
                Map.of("STUDIO_HOME", repo.resolve("home").toString(), "STUDIO_BUILD", build), repo);
    }

    private void file(String relative, Instant modified) throws IOException {
        Path path = repo.resolve(relative);
        Files.createDirectories(path.getParent());
        Files.writeString(path, relative);
        Files.setLastModifiedTime(path, FileTime.from(modified));
    }

    @Test
    void neverStartsStaleJarsAsBuiltAndSaysSo() throws IOException {
        LauncherSettings settings = settings("never");
        for (Component service : settings.services()) {
            file(service.module() + "/target/quarkus-app/quarkus-run.jar", PACKAGED);
        }
        file("studio-common/src/main/java/Common.java", PACKAGED.plusSeconds(60));
        // A Maven run would fail the test: there is no POM here to build.
        new StudioBuild(settings, new PrintStream(out, true, StandardCharsets.UTF_8)).ensureBuilt(List.of());
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("finetune-service is older than its sources")
                .contains("STUDIO_BUILD=never starts it as built")
                .doesNotContain("rebuilding");
    }

    @Test
    void neverFailsOnAMissingJarNamingItAndTheBuildCommand() {
        LauncherSettings settings = settings("never");
        assertThatThrownBy(() -> new StudioBuild(settings, new PrintStream(out, true, StandardCharsets.UTF_8))
                        .ensureBuilt(List.of()))
                .isInstanceOf(LauncherException.class)
                .hasMessageContaining("is not built")
                .hasMessageContaining("quarkus-run.jar")
                .hasMessageContaining("STUDIO_BUILD=never");
    }

    @Test
    void anUnknownBuildPolicyIsRefused() {
        assertThatThrownBy(() -> settings("sometimes"))
                .isInstanceOf(LauncherException.class)
                .hasMessageContaining("STUDIO_BUILD must be auto or never");
        assertThat(settings("auto").build()).isTrue();
        assertThat(settings("NEVER").build()).isFalse();
    }
}
