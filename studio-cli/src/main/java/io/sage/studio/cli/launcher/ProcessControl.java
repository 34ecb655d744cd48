package io.sage.studio.cli.launcher;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Background processes in their own process group (via {@code setsid}), identified by pid plus the kernel's
 * start time so that a recycled pid is never mistaken for ours.
 */
final class ProcessControl {

    private ProcessControl() {
    }

    /** Starts {@code command} detached from this process, output appended to {@code log}. */
    static PidRecord start(List<String> command, Map<String, String> env, Path log, Path cwd) {
        List<String> full = new ArrayList<>();
        full.add("setsid");
        full.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(full)
                .directory(cwd.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().putAll(env);
        try {
            Files.createDirectories(log.getParent());
            Process process = builder.start();
            long pid = process.pid();
            return new PidRecord(pid, startTime(pid).orElse(0L), String.join(" ", command));
        } catch (IOException e) {
            throw new LauncherException("cannot start " + command.get(0) + ": " + e.getMessage());
        }
    }

    /** The fields of {@code /proc/<pid>/stat} the launcher needs. */
    private record ProcStat(char state, long pgid, long startTime) {
        boolean exited() {
            return state == 'Z' || state == 'X';
        }
    }

    /** Reads {@code /proc/<pid>/stat}: state (field 3), process group (field 5), start time in ticks (field 22). */
    private static Optional<ProcStat> stat(String pid) {
        try {
            String stat = Files.readString(Path.of("/proc", pid, "stat"), StandardCharsets.UTF_8);
            // The command name (field 2) may hold spaces and parentheses: fields after the last ')' start at 3.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Optional.of(new ProcStat(fields[0].charAt(0), Long.parseLong(fields[2]), Long.parseLong(fields[19])));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The start time of a process in clock ticks since boot. */
    static Optional<Long> startTime(long pid) {
        return stat(Long.toString(pid)).map(ProcStat::startTime);
    }

    /** Whether the recorded process still runs (same pid, same start time, not a zombie). */
    static boolean alive(PidRecord record) {
        return stat(Long.toString(record.pid()))
                .filter(s -> !s.exited())
                .filter(s -> record.startTime() == 0 || s.startTime() == record.startTime())
                .isPresent();
    }

    /** Whether any process of the group led by {@code pgid} is left. */
    static boolean groupAlive(long pgid) {
        try (var dirs = Files.list(Path.of("/proc"))) {
            return dirs.map(p -> p.getFileName().toString())
                    .filter(name -> name.chars().allMatch(Character::isDigit))
                    .map(ProcessControl::stat)
                    .flatMap(Optional::stream)
                    .anyMatch(s -> s.pgid() == pgid && !s.exited());
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * SIGTERM to the whole process group, SIGKILL after {@code grace}; returns once no process of the group is
     * left (or after a last SIGKILL).
     */
    static void stopGroup(long pgid, Duration grace) {
        signalGroup(pgid, "TERM");
        long deadline = System.nanoTime() + grace.toNanos();
        while (groupAlive(pgid) && System.nanoTime() < deadline) {
            sleep(100);
        }
        if (groupAlive(pgid)) {
            signalGroup(pgid, "KILL");
            long killDeadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (groupAlive(pgid) && System.nanoTime() < killDeadline) {
                sleep(50);
            }
        }
    }

    private static void signalGroup(long pgid, String signal) {
        try {
            new ProcessBuilder("kill", "-" + signal, "--", "-" + pgid)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start()
                    .waitFor();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether something accepts connections on the loopback port. */
    static boolean listening(int port) {
        return listening("127.0.0.1", port);
    }

    /** Whether something accepts connections on {@code host:port}. */
    static boolean listening(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether the port can be bound on all interfaces right now. */
    static boolean portFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(port));
        } catch (IOException e) {
            return false;
        }
        return !listening(port);
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LauncherException("interrupted");
        }
    }
}
