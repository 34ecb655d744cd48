package io.sage.studio.cli.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Java runtime the services run on. The services are built for Java 17 and run on any later JDK; a JDK 25 starts
 * them markedly faster (its ahead-of-time cache, JEP 483/514, keeps loaded and linked classes of the previous run), so
 * the launcher takes the newest JDK of at least {@link #AOT_FEATURE} it finds when the user has not chosen one:
 * {@code STUDIO_JAVA_HOME} wins; then the launcher's own JDK, {@code JAVA_HOME} and the JDKs under {@link #JDK_DIRS}
 * (Debian's and the Temurin/Adoptium packages' folders) that are 25 or newer; else the launcher's own JDK.
 *
 * @param home    the JDK's folder (it holds {@code bin/java} and {@code release})
 * @param feature the feature release ({@code 17}, {@code 21}, {@code 25}), read from {@code release}
 */
public record JavaRuntime(Path home, int feature) {

    /** The first release with the one-step ahead-of-time cache ({@code -XX:AOTCacheOutput}, JEP 514). */
    public static final int AOT_FEATURE = 25;

    /** Where Linux packages put JDKs. */
    static final List<Path> JDK_DIRS = List.of(Path.of("/usr/lib/jvm"), Path.of("/opt/java"));

    private static final Pattern VERSION = Pattern.compile("^JAVA_VERSION=\"?(\\d+)", Pattern.MULTILINE);

    /** The {@code java} command of this runtime. */
    public String java() {
        return home.resolve("bin").resolve("java").toString();
    }

    /** Whether this runtime takes {@code -XX:AOTCache} / {@code -XX:AOTCacheOutput}. */
    public boolean aotCache() {
        return feature >= AOT_FEATURE;
    }

    /** The runtime for the services (see the class comment). */
    public static JavaRuntime choose(Map<String, String> env, Path own, List<Path> jdkDirs) {
        String chosen = env.get("STUDIO_JAVA_HOME");
        if (chosen != null && !chosen.isBlank()) {
            return of(Path.of(chosen.trim()))
                    .filter(runtime -> runtime.feature() >= 17)
                    .orElseThrow(() -> new LauncherException("STUDIO_JAVA_HOME (" + chosen.trim()
                            + ") is not a JDK 17 or later: it needs bin/java and a release file naming its version"));
        }
        List<Path> candidates = new ArrayList<>();
        candidates.add(own);
        Optional.ofNullable(env.get("JAVA_HOME"))
                .filter(s -> !s.isBlank())
                .map(Path::of)
                .ifPresent(candidates::add);
        for (Path dir : jdkDirs) {
            try (Stream<Path> jdks = Files.list(dir)) {
                jdks.sorted().forEach(candidates::add);
            } catch (IOException e) {
                // no such folder on this machine
            }
        }
        JavaRuntime fallback =
                of(own).orElse(new JavaRuntime(own, Runtime.version().feature()));
        return candidates.stream()
                .map(JavaRuntime::of)
                .flatMap(Optional::stream)
                .filter(JavaRuntime::aotCache)
                .max(Comparator.comparingInt(JavaRuntime::feature))
                .orElse(fallback);
    }

    /** The runtime at {@code home}; empty when it has no {@code bin/java} or no readable version. */
    static Optional<JavaRuntime> of(Path home) {
        Path home0 = home.toAbsolutePath().normalize();
        if (!Files.isExecutable(home0.resolve("bin").resolve("java"))) {
            return Optional.empty();
        }
        try {
            Matcher m = VERSION.matcher(Files.readString(home0.resolve("release"), StandardCharsets.UTF_8));
            if (!m.find()) {
                return Optional.empty();
            }
            int feature = Integer.parseInt(m.group(1));
            // Java 8 and older call themselves 1.x; none of them can run the services.
            return feature < 9 ? Optional.empty() : Optional.of(new JavaRuntime(home0, feature));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
