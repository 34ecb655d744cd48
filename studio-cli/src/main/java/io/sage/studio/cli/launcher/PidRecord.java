package io.sage.studio.cli.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Properties;

import io.sage.studio.process.ProcessIdentity;

/**
 * What the launcher remembers of a process it started: {@code <studio>/run/<component>.pid}, a properties file with
 * {@code pid}, {@code start_time} (kernel start ticks), {@code boot_id} (since process control moved to
 * {@code studio-process}; older files have none and are still recognised by pid and start time) and {@code command}.
 */
record PidRecord(long pid, long startTime, String bootId, String command) {

    PidRecord(long pid, long startTime, String command) {
        this(pid, startTime, null, command);
    }

    static PidRecord of(ProcessIdentity process, String command) {
        return new PidRecord(process.pid(), process.startTicks(), process.bootId(), command);
    }

    /** The process this record names, for {@link io.sage.studio.process.ProcessControl}. */
    ProcessIdentity identity() {
        return new ProcessIdentity(pid, startTime, null, bootId);
    }

    void write(Path file) {
        Properties props = new Properties();
        props.setProperty("pid", Long.toString(pid));
        props.setProperty("start_time", Long.toString(startTime));
        if (bootId != null) {
            props.setProperty("boot_id", bootId);
        }
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

    /** The record of {@code file}; empty when there is none or it does not name a possible child (pid 1 and below). */
    static Optional<PidRecord> read(Path file) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties props = new Properties();
        try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(in);
            long pid = Long.parseLong(props.getProperty("pid"));
            if (!ProcessIdentity.validPid(pid)) {
                return Optional.empty();
            }
            return Optional.of(new PidRecord(
                    pid,
                    Long.parseLong(props.getProperty("start_time", "0")),
                    props.getProperty("boot_id"),
                    props.getProperty("command", "")));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
