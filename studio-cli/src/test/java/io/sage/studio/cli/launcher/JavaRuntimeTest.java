package io.sage.studio.cli.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JavaRuntimeTest {

    @TempDir
    Path dir;

    private Path jdk(String name, String version) throws IOException {
        Path home = dir.resolve(name);
        Files.createDirectories(home.resolve("bin"));
        Path java = Files.writeString(home.resolve("bin/java"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"x\"\nJAVA_VERSION=\"" + version + "\"\n");
        return home;
    }

    @Test
    void takesTheNewestJdkOf25OrLaterOverTheLaunchersOwn() throws IOException {
        Path own = jdk("own-17", "17.0.15");
        Path jvms = dir.resolve("jvms");
        Files.createDirectories(jvms);
        Files.move(jdk("temurin-25", "25.0.3"), jvms.resolve("temurin-25"));
        Files.move(jdk("openjdk-21", "21.0.2"), jvms.resolve("openjdk-21"));
        Files.move(jdk("temurin-26", "26"), jvms.resolve("temurin-26"));

        JavaRuntime chosen = JavaRuntime.choose(Map.of(), own, List.of(jvms, dir.resolve("missing")));

        assertThat(chosen.home()).isEqualTo(jvms.resolve("temurin-26"));
        assertThat(chosen.feature()).isEqualTo(26);
        assertThat(chosen.aotCache()).isTrue();
        assertThat(chosen.java()).endsWith("temurin-26/bin/java");
    }

    @Test
    void keepsTheLaunchersOwnJdkWhenNone25OrLaterIsFound() throws IOException {
        Path own = jdk("own-17", "17.0.15");
        Path jvms = Files.createDirectories(dir.resolve("jvms"));
        Files.move(jdk("openjdk-21", "21.0.2"), jvms.resolve("openjdk-21"));
        Files.createDirectories(jvms.resolve("not-a-jdk"));

        JavaRuntime chosen = JavaRuntime.choose(Map.of(), own, List.of(jvms));

        assertThat(chosen).isEqualTo(new JavaRuntime(own, 17));
        assertThat(chosen.aotCache()).isFalse();
    }

    @Test
    void javaHomeCountsAsACandidate() throws IOException {
        Path own = jdk("own-17", "17.0.15");
        Path javaHome = jdk("somewhere-25", "25.0.1");

        assertThat(JavaRuntime.choose(Map.of("JAVA_HOME", javaHome.toString()), own, List.of())
                        .home())
                .isEqualTo(javaHome);
    }

    @Test
    void studioJavaHomeWinsAndMustBeAJdk17OrLater() throws IOException {
        Path own = jdk("own-25", "25.0.3");
        Path chosen17 = jdk("chosen-17", "17.0.15");

        assertThat(JavaRuntime.choose(Map.of("STUDIO_JAVA_HOME", chosen17.toString()), own, List.of()))
                .isEqualTo(new JavaRuntime(chosen17, 17));
        Path old = jdk("old", "1.8.0_402");
        assertThatThrownBy(() -> JavaRuntime.choose(Map.of("STUDIO_JAVA_HOME", old.toString()), own, List.of()))
                .isInstanceOf(LauncherException.class)
                .hasMessageContaining("STUDIO_JAVA_HOME")
                .hasMessageContaining("not a JDK 17 or later");
        assertThatThrownBy(() -> JavaRuntime.choose(
                        Map.of("STUDIO_JAVA_HOME", dir.resolve("nothing").toString()), own, List.of()))
                .isInstanceOf(LauncherException.class);
    }
}
