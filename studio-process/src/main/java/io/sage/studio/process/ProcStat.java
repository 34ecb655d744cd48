package io.sage.studio.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What {@code /proc/<pid>/stat} says about a process: its state (field 3), process group (field 5) and start time in
 * clock ticks since boot (field 22). The start time tells a process apart from a later one that reuses its pid.
 */
record ProcStat(long pid, char state, long processGroup, long startTicks) {

    private static final Path PROC = Path.of("/proc");

    static Optional<ProcStat> read(long pid) {
        return read(Long.toString(pid));
    }

    private static Optional<ProcStat> read(String pid) {
        try {
            String stat = Files.readString(PROC.resolve(pid).resolve("stat"), StandardCharsets.US_ASCII);
            // "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime
            //  cstime priority nice num_threads itrealvalue starttime ..." - comm may hold spaces and ')'.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Optional.of(
                    new ProcStat(Long.parseLong(pid), f[0].charAt(0), Long.parseLong(f[2]), Long.parseLong(f[19])));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Every process of the machine that can be read now. */
    static List<ProcStat> all() {
        try (Stream<Path> dirs = Files.list(PROC)) {
            return dirs.map(p -> p.getFileName().toString())
                    .filter(name -> !name.isEmpty() && name.chars().allMatch(Character::isDigit))
                    .map(ProcStat::read)
                    .flatMap(Optional::stream)
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Running (or sleeping, stopped, ...) rather than a zombie waiting to be reaped. */
    boolean alive() {
        return state != 'Z' && state != 'X';
    }
}
