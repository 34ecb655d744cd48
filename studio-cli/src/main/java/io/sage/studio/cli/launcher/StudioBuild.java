package io.sage.studio.cli.launcher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Builds the services on first run and rebuilds the ones whose sources changed since ({@code mvn install
 * -DskipTests} of those modules and what they need), showing one progress line per module and keeping the full
 * output in {@code logs/build.log}. A running service is never rebuilt under its feet: it is named, with the
 * command that rebuilds and restarts it.
 */
final class StudioBuild {

    private static final Pattern MODULE = Pattern.compile("Building SAGE Studio :: (.+?) \\S+\\s+\\[(\\d+)/(\\d+)]");

    private final LauncherSettings settings;
    private final PrintStream out;

    StudioBuild(LauncherSettings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    void ensureBuilt(Collection<Component> running) {
        List<Component> toBuild = new ArrayList<>();
        String reason = null;
        BuildFreshness freshness = new BuildFreshness(settings.repo());
        for (Component service : settings.services()) {
            if (!Files.isRegularFile(service.jar(settings.repo()))) {
                if (!settings.build()) {
                    throw new LauncherException(
                            service.name() + " is not built (no " + service.jar(settings.repo())
                                    + ") and STUDIO_BUILD=never: build it with `mvn -B install -DskipTests` or unset STUDIO_BUILD");
                }
                toBuild.add(service);
                continue;
            }
            Optional<Path> changed = freshness.changedSince(service);
            if (changed.isEmpty()) {
                continue;
            }
            if (running.contains(service)) {
                out.println("Note: " + service.name() + " runs a build older than its sources (" + changed.get()
                        + " changed); `./sage studio restart` rebuilds and restarts it.");
            } else if (!settings.build()) {
                out.println("Note: " + service.name() + " is older than its sources (" + changed.get()
                        + " changed); STUDIO_BUILD=never starts it as built.");
            } else {
                toBuild.add(service);
                if (reason == null) {
                    reason = changed.get().toString();
                }
            }
        }
        if (toBuild.isEmpty()) {
            return;
        }
        Path log = settings.logsDir().resolve("build.log");
        String modules = toBuild.stream().map(Component::module).collect(Collectors.joining(","));
        if (reason == null) {
            out.println("First run: building the studio services (a few minutes; full output in " + log + ") …");
        } else {
            out.println("Sources changed since the last build (" + reason + "): rebuilding " + modules
                    + " (full output in " + log + ") …");
        }
        List<String> command = List.of(maven(), "-B", "install", "-DskipTests", "-pl", modules, "-am");
        ProcessBuilder builder =
                new ProcessBuilder(command).directory(settings.repo().toFile()).redirectErrorStream(true);
        long started = System.nanoTime();
        try (Writer writer = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            Process process = builder.start();
            try (BufferedReader reader =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    writer.write(line);
                    writer.write('\n');
                    Matcher m = MODULE.matcher(line);
                    if (m.find()) {
                        out.printf("  [%s/%s] %s%n", m.group(2), m.group(3), m.group(1));
                    }
                }
            }
            int rc = process.waitFor();
            if (rc != 0) {
                writer.flush();
                throw new LauncherException("the build failed (exit " + rc + "). Last lines of " + log + ":\n"
                        + StudioLauncher.tail(log, 40));
            }
        } catch (IOException e) {
            throw new LauncherException(
                    "cannot run Maven (" + e.getMessage() + "); install JDK 17+ and Maven 3.8+, then try again");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LauncherException("interrupted while building");
        }
        out.printf("  built in %d s%n", (System.nanoTime() - started) / 1_000_000_000L);
    }

    private String maven() {
        Path wrapper = settings.repo().resolve("mvnw");
        return Files.isExecutable(wrapper) ? wrapper.toString() : "mvn";
    }
}
