package io.sage.studio.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Locale;

/**
 * The one line of figures each fault-injection scenario prints ({@code FAULT <name>: …}), also appended to
 * {@code target/fault-lines.txt} so a run's figures can be collected for the README's Measured table.
 */
final class FaultReport {

    static final Path LINES = Path.of("target", "fault-lines.txt");

    private FaultReport() {
    }

    static synchronized void line(String name, String figures) {
        String line = "FAULT " + name + ": " + figures;
        System.out.println(line);
        try {
            Files.createDirectories(LINES.getParent());
            Files.writeString(LINES, line + System.lineSeparator(), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Seconds with one decimal. */
    static String seconds(Duration duration) {
        return String.format(Locale.ROOT, "%.1f s", duration.toMillis() / 1000.0);
    }
}
