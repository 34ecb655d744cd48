package io.sage.studio.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.opentest4j.TestAbortedException;

/**
 * The one line of figures each fault-injection scenario prints ({@code FAULT <name>: …}), also appended to
 * {@code target/fault-lines.txt} so a run's figures can be collected for the README's Measured table.
 */
final class FaultReport {

    static final Path LINES = Path.of("target", "fault-lines.txt");

    private FaultReport() {}

    static synchronized void line(String name, String figures) {
        String line = "FAULT " + name + ": " + figures;
        System.out.println(line);
        try {
            Files.createDirectories(LINES.getParent());
            Files.writeString(
                    LINES,
                    line + System.lineSeparator(),
                    StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The figures of one scenario, collected as they are measured, so that a scenario that fails still prints what it
     * measured up to the failure, and why it failed.
     */
    static final class Figures {
        private final String scenario;
        private final List<String> parts = new ArrayList<>();

        Figures(String scenario) {
            this.scenario = scenario;
        }

        Figures add(String format, Object... args) {
            parts.add(String.format(Locale.ROOT, format, args));
            return this;
        }

        /** Prints the line; {@code failure} (or {@code null}) is named at its end. */
        void print(Throwable failure) {
            String figures = String.join("; ", parts);
            if (failure != null) {
                String message = String.valueOf(failure.getMessage()).strip().replaceAll("\\s+", " ");
                figures += (figures.isEmpty() ? "" : "; ") + "FAILED: "
                        + (message.length() > 400 ? message.substring(0, 400) + " …" : message);
            }
            line(scenario, figures);
        }
    }

    /** The body of a scenario, given the figures to fill in. */
    interface Scenario {
        void run(Figures figures) throws Exception;
    }

    /** Runs a scenario and prints its line whatever happens: figures, then why it failed or was skipped. */
    static void run(String name, Scenario scenario) throws Exception {
        Figures figures = new Figures(name);
        Throwable failure = null;
        try {
            scenario.run(figures);
        } catch (TestAbortedException skipped) {
            figures.add("SKIPPED: %s", skipped.getMessage());
            throw skipped;
        } catch (Throwable t) {
            failure = t;
            throw t;
        } finally {
            figures.print(failure);
        }
    }

    /** Seconds with one decimal. */
    static String seconds(Duration duration) {
        return String.format(Locale.ROOT, "%.1f s", duration.toMillis() / 1000.0);
    }
}
