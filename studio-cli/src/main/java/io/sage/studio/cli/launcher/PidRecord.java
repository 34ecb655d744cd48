package io.sage.studio.cli.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Properties;

/** What the launcher remembers of a process it started: {@code <studio>/run/<component>.pid}. */
record PidRecord(long pid, long startTime, String command) {

    void write(Path file) {
        Properties props = new Properties();
        props.setProperty("pid", Long.toString(pid));
        props.setProperty("start_time", Long.toString(startTime));
        props.setProperty("command", command);
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            try (var out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                props.store(out, "written by ./sage studio start");
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new LauncherException("cannot write " + file + ": " + e.getMessage());
        }
    }

    static Optional<PidRecord> read(Path file) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties props = new Properties();
        try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(in);
            return Optional.of(new PidRecord(Long.parseLong(props.getProperty("pid")),
                    Long.parseLong(props.getProperty("start_time", "0")), props.getProperty("command", "")));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
