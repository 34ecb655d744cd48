package io.sage.studio.cli.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Whether a packaged service is older than the sources it is built from: after a {@code git pull} or an edit, the
 * launcher rebuilds instead of starting yesterday's jars. The inputs of a service are its own module, the modules
 * every service is built on, the parent POM and, for the gateway, the web UI it serves. One instance walks each
 * input once, however many services share it.
 */
final class BuildFreshness {

    /** Inputs of every service, relative to the repository. */
    private static final List<String> SHARED = List.of(
            "pom.xml",
            "studio-events/pom.xml",
            "studio-events/src",
            "studio-common/pom.xml",
            "studio-common/src",
            "studio-process/pom.xml",
            "studio-process/src");
    /** The web UI, built into the gateway (its tests and installed packages are not inputs). */
    private static final List<String> UI = List.of(
            "studio-ui/src",
            "studio-ui/public",
            "studio-ui/index.html",
            "studio-ui/package.json",
            "studio-ui/package-lock.json",
            "studio-ui/vite.config.ts",
            "studio-ui/tsconfig.json");

    /** A file and when it was last modified. */
    private record Modified(Path file, FileTime time) {}

    private final Path repo;
    /** The newest file of each input walked so far (empty: the input does not exist or holds no file). */
    private final Map<String, Optional<Modified>> newest = new HashMap<>();

    BuildFreshness(Path repo) {
        this.repo = repo;
    }

    /** The files and folders {@code service} is built from, relative to the repository. */
    static List<String> inputs(Component service) {
        List<String> inputs = new ArrayList<>(SHARED);
        inputs.add(service.module() + "/pom.xml");
        inputs.add(service.module() + "/src/main");
        if (service.module().equals("gateway-adapter")) {
            inputs.addAll(UI);
        }
        return inputs;
    }

    /**
     * A source of {@code service} changed after its jar was packaged (the newest such input's newest file), or
     * empty when the jar is current or missing (a missing jar is built anyway).
     */
    Optional<Path> changedSince(Component service) {
        Path jar = service.jar(repo);
        if (!Files.isRegularFile(jar)) {
            return Optional.empty();
        }
        try {
            FileTime packaged = Files.getLastModifiedTime(jar);
            return inputs(service).stream()
                    .map(input -> newest.computeIfAbsent(input, this::newestFile))
                    .flatMap(Optional::stream)
                    .filter(modified -> modified.time().compareTo(packaged) > 0)
                    .map(modified -> repo.relativize(modified.file()))
                    .findFirst();
        } catch (IOException | UncheckedIOException e) {
            return Optional.empty(); // cannot tell: start what is there rather than fail
        }
    }

    private Optional<Modified> newestFile(String input) {
        Path path = repo.resolve(input);
        if (!Files.exists(path)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.walk(path)) {
            return files.filter(Files::isRegularFile)
                    .map(file -> new Modified(file, modified(file)))
                    .max(Comparator.comparing(Modified::time));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static FileTime modified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
