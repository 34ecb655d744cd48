package io.sage.studio.cli.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The JVM's class cache of each service, so that every start after the first skips most class loading, parsing and
 * verification: on a JDK 25 the ahead-of-time cache ({@code -XX:AOTCacheOutput} records it while the service runs and
 * writes it when the service stops; {@code -XX:AOTCache} uses it), on JDK 17–24 a dynamic AppCDS archive
 * ({@code -XX:ArchiveClassesAtExit} / {@code -XX:SharedArchiveFile}). Nothing is built ahead: the first run of a build
 * is the training run, and its {@code sage studio stop} takes a few seconds longer while the JVM writes the cache.
 *
 * <p>A cache is valid for one build of one service on one JDK: its file name holds a digest of the runtime and the
 * packaged application's files (names, sizes, modification times), so a rebuild or another JDK records a new one and
 * the stale ones of that service are deleted. The JVM checks a cache itself too and runs without it (a warning in the
 * service's log) when it does not match, so a damaged file costs only the speed-up.
 *
 * @param dir     where the caches are kept ({@code STUDIO_STARTUP_CACHE_DIR}, default
 *                {@code $STUDIO_HOME/studio/jvm-cache}); shared by studios of the same checkout if pointed at one folder
 * @param enabled {@code STUDIO_STARTUP_CACHE}: {@code auto} (default) or {@code off}
 */
public record StartupCache(Path dir, boolean enabled) {

    /** Flags that write a cache; {@code sage studio stop} gives a service that has them more time to finish. */
    static final List<String> RECORDING_FLAGS = List.of("-XX:AOTCacheOutput=", "-XX:ArchiveClassesAtExit=");

    static boolean parseEnabled(String value) {
        return switch (value == null ? "auto" : value.trim().toLowerCase(Locale.ROOT)) {
            case "auto", "on", "" -> true;
            case "off" -> false;
            default -> throw new LauncherException("STUDIO_STARTUP_CACHE must be auto or off, got '" + value + "'");
        };
    }

    /**
     * The JVM flags that use the service's cache when one exists for this build and runtime, else record one; none
     * when the cache is off or its folder cannot be written.
     */
    public List<String> flags(String service, List<Path> application, JavaRuntime runtime) {
        if (!enabled) {
            return List.of();
        }
        Path cache = file(service, application, runtime);
        // A JDK 25 keeps the training run's configuration beside the cache until the cache is written: one left
        // behind means the writing was cut short.
        if (Files.isRegularFile(cache) && !Files.exists(Path.of(cache + ".config"))) {
            return List.of(runtime.aotCache() ? "-XX:AOTCache=" + cache : "-XX:SharedArchiveFile=" + cache);
        }
        try {
            Files.createDirectories(dir);
            deleteStale(service, cache);
        } catch (IOException e) {
            return List.of();
        }
        return List.of(runtime.aotCache() ? "-XX:AOTCacheOutput=" + cache : "-XX:ArchiveClassesAtExit=" + cache);
    }

    /** The cache a service's command line records, if it records one (its stop then takes longer). */
    static Optional<Path> recording(String command) {
        for (String argument : command.split(" ")) {
            for (String flag : RECORDING_FLAGS) {
                if (argument.startsWith(flag) && argument.length() > flag.length()) {
                    return Optional.of(Path.of(argument.substring(flag.length())));
                }
            }
        }
        return Optional.empty();
    }

    /** Deletes a cache whose writing was cut short (the service was killed as it wrote it). */
    static void discard(Path cache) {
        try {
            Files.deleteIfExists(cache);
            Files.deleteIfExists(Path.of(cache + ".config"));
        } catch (IOException e) {
            // the JVM refuses a damaged cache itself; this only saves it the look
        }
    }

    /** The cache file of this build of {@code service} on {@code runtime}. */
    Path file(String service, List<Path> application, JavaRuntime runtime) {
        String suffix = runtime.aotCache() ? ".aot" : ".jsa";
        return dir.resolve(service + "-" + digest(application, runtime) + suffix);
    }

    private void deleteStale(String service, Path keep) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path old : files.filter(p -> p.getFileName().toString().startsWith(service + "-"))
                    .filter(p -> !p.equals(keep))
                    .toList()) {
                Files.deleteIfExists(old);
            }
        }
    }

    /**
     * A digest of the runtime and of every file of the application (its jars and folders: path, size, modification
     * time).
     */
    static String digest(List<Path> application, JavaRuntime runtime) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update((runtime.home() + "\n" + runtime.feature() + "\n").getBytes(StandardCharsets.UTF_8));
            for (Path root : application) {
                if (!Files.exists(root)) {
                    continue;
                }
                try (Stream<Path> files = Files.walk(root)) {
                    for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                        String line = file + "\t" + Files.size(file) + "\t"
                                + Files.getLastModifiedTime(file).toMillis() + "\n";
                        sha.update(line.getBytes(StandardCharsets.UTF_8));
                    }
                }
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (IOException e) {
            return "unreadable";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
