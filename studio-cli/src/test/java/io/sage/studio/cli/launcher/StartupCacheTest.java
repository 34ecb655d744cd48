package io.sage.studio.cli.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StartupCacheTest {

    @TempDir
    Path dir;

    private Path app;
    private StartupCache cache;
    private final JavaRuntime jdk25 = new JavaRuntime(Path.of("/jdk25"), 25);
    private final JavaRuntime jdk17 = new JavaRuntime(Path.of("/jdk17"), 17);

    @BeforeEach
    void app() throws IOException {
        app = Files.createDirectories(dir.resolve("quarkus-app"));
        Files.createDirectories(app.resolve("lib"));
        Files.writeString(app.resolve("quarkus-run.jar"), "jar");
        Files.writeString(app.resolve("lib/a.jar"), "a");
        cache = new StartupCache(dir.resolve("cache"), true);
    }

    private static String value(List<String> flags) {
        assertThat(flags).hasSize(1);
        return flags.get(0).substring(flags.get(0).indexOf('=') + 1);
    }

    @Test
    void recordsOnTheFirstRunAndUsesTheCacheOnceWritten() throws IOException {
        List<String> first = cache.flags("finetune-service", List.of(app), jdk25);
        assertThat(first.get(0)).startsWith("-XX:AOTCacheOutput=").endsWith(".aot");
        Path file = Path.of(value(first));
        assertThat(StartupCache.recording("java -Xmx1g " + first.get(0) + " -jar x.jar"))
                .contains(file);

        Files.writeString(file, "cache"); // what the JVM writes as the service stops
        List<String> second = cache.flags("finetune-service", List.of(app), jdk25);
        assertThat(second).containsExactly("-XX:AOTCache=" + file);
        assertThat(StartupCache.recording("java " + second.get(0) + " -jar x.jar"))
                .isEmpty();
    }

    @Test
    void jdk17GetsADynamicAppCdsArchive() throws IOException {
        List<String> first = cache.flags("gateway-adapter", List.of(app), jdk17);
        assertThat(first.get(0)).startsWith("-XX:ArchiveClassesAtExit=").endsWith(".jsa");
        Files.writeString(Path.of(value(first)), "archive");
        assertThat(cache.flags("gateway-adapter", List.of(app), jdk17).get(0)).startsWith("-XX:SharedArchiveFile=");
    }

    @Test
    void aRebuildOrAnotherJdkRecordsAgainAndDropsTheStaleCache() throws IOException {
        Path old = Path.of(value(cache.flags("chat-switch-service", List.of(app), jdk25)));
        Files.writeString(old, "cache");
        Path other = Path.of(value(cache.flags("gpu-probe-service", List.of(app), jdk25)));
        Files.writeString(other, "cache of another service");

        Files.setLastModifiedTime(app.resolve("lib/a.jar"), FileTime.fromMillis(1_000));
        List<String> rebuilt = cache.flags("chat-switch-service", List.of(app), jdk25);

        assertThat(rebuilt.get(0)).startsWith("-XX:AOTCacheOutput=");
        assertThat(Path.of(value(rebuilt))).isNotEqualTo(old);
        assertThat(old).doesNotExist();
        assertThat(other).exists();
        assertThat(value(cache.flags("gpu-probe-service", List.of(app), jdk17))).isNotEqualTo(other.toString());
    }

    @Test
    void aCacheWhoseWritingWasCutShortIsRecordedAgain() throws IOException {
        Path file = Path.of(value(cache.flags("finetune-service", List.of(app), jdk25)));
        Files.writeString(file, "half");
        Files.writeString(Path.of(file + ".config"), "training configuration");

        assertThat(cache.flags("finetune-service", List.of(app), jdk25)).containsExactly("-XX:AOTCacheOutput=" + file);

        StartupCache.discard(file);
        assertThat(file).doesNotExist();
        assertThat(Path.of(file + ".config")).doesNotExist();
    }

    @Test
    void offMeansNoFlags() {
        assertThat(new StartupCache(dir, StartupCache.parseEnabled("off")).flags("x", List.of(app), jdk25))
                .isEmpty();
        assertThat(StartupCache.parseEnabled(null)).isTrue();
        assertThatThrownBy(() -> StartupCache.parseEnabled("sometimes"))
                .isInstanceOf(LauncherException.class)
                .hasMessageContaining("STUDIO_STARTUP_CACHE");
    }
}
