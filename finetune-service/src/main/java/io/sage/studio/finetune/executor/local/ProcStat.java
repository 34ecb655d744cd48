package io.sage.studio.finetune.executor.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What {@code /proc/<pid>/stat} says about a process: its state, process group and start time (clock ticks
 * since boot). The start time tells a live trainer apart from an unrelated process that reuses its pid.
 */
record ProcStat(long pid, char state, long processGroup, long startTicks) {

    static Optional<ProcStat> read(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
            // "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
            //  cutime cstime priority nice num_threads itrealvalue starttime ..." — comm may contain spaces and ')'.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Optional.of(new ProcStat(pid, f[0].charAt(0), Long.parseLong(f[2]), Long.parseLong(f[19])));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Running (or sleeping, stopped…) rather than a zombie waiting to be reaped. */
    boolean alive() {
        return state != 'Z' && state != 'X';
    }

    /** Whether {@code pid} is alive and is the process that started at {@code startTicks}. */
    static boolean isSameLiveProcess(long pid, long startTicks) {
        return read(pid).filter(s -> s.alive() && s.startTicks() == startTicks).isPresent();
    }
}
