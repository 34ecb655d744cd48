package io.sage.studio.cli.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Whether a packaged service is older than the sources it is built from: after a {@code git pull} or an edit, the
 * launcher rebuilds instead of starting yesterday's jars. The inputs of a service are its own module, the modules
 * every service is built on, the parent POM and, for the gateway, the web UI it serves.
 */
final class BuildFreshness {

    /** Inputs of every service, relative to the repository. */
    private static final List<String> SHARED = List.of("pom.xml",
            "studio-events/pom.xml", "studio-events/src", "studio-common/pom.xml", "studio-common/src");
    /** The web UI, built into the gateway (its tests and installed packages are not inputs). */
    private static final List<String> UI = List.of("studio-ui/src", "studio-ui/public", "studio-ui/index.html",
            "studio-ui/package.json", "studio-ui/package-lock.json", "studio-ui/vite.config.ts", "studio-ui/tsconfig.json");

    private BuildFreshness() {
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
     * A source of {@code service} changed after its jar was packaged (the first one found), or empty when the jar
     * is current or missing (a missing jar is built anyway).
     */
    static Optional<Path> changedSince(Path repo, Component service) {
        Path jar = service.jar(repo);
        if (!Files.isRegularFile(jar)) {
            return Optional.empty();
        }
        try {
            FileTime packaged = Files.getLastModifiedTime(jar);
            for (String input : inputs(service)) {
                Path path = repo.resolve(input);
                if (!Files.exists(path)) {
                    continue;
                }
                try (Stream<Path> files = Files.walk(path)) {
                    Optional<Path> newer = files.filter(Files::isRegularFile)
                            .filter(file -> modified(file).compareTo(packaged) > 0)
                            .findFirst();
                    if (newer.isPresent()) {
                        return Optional.of(repo.relativize(newer.get()));
                    }
                }
            }
            return Optional.empty();
        } catch (IOException | UncheckedIOException e) {
            return Optional.empty(); // cannot tell: start what is there rather than fail
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
