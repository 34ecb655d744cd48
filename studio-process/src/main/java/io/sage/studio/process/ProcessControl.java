package io.sage.studio.process;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The studio's child processes (trainers, model servers, the local services and broker): each started in its own
 * session and process group ({@code setsid}), so that it outlives its parent and is stopped with everything it
 * spawned; recognised by {@link ProcessIdentity} (pid + kernel start time + install and boot id), never by pid alone;
 * stopped with SIGTERM to the group, SIGKILL after a grace period; re-adopted after the parent restarts.
 *
 * <p>One instance per user (a service's executor or runtime, the launcher), made with the install id that user
 * records, or {@code null} where it keeps none. Thread-safe; stops run on one shared daemon timer thread.
 */
public final class ProcessControl {

    /** How long a group gets to go after SIGKILL before a stop reports {@link Stop#SURVIVED}. */
    static final Duration KILL_WAIT = Duration.ofSeconds(10);
    /** Start instants (the JDK's, from the boot time in whole seconds plus the start ticks) can differ by a second. */
    static final Duration START_INSTANT_TOLERANCE = Duration.ofSeconds(1);

    private static final long POLL_MILLIS = 100;
    private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "process-control");
        thread.setDaemon(true);
        return thread;
    });

    private final String installId;
    private final String bootId;
    private final String setsid;
    private final String kill;

    /** Control for a user that records {@code installId} (or {@code null}: none) in its handles. */
    public ProcessControl(String installId) {
        this(installId, currentBootId().orElse(null));
    }

    /**
     * Control for a user that records {@code installId} and reads the boot id itself ({@code null}: unknown; then no
     * handle with a boot id is {@link #ours}).
     */
    public ProcessControl(String installId, String bootId) {
        this.installId = installId;
        this.bootId = bootId;
        this.setsid = executable("setsid").orElse(null);
        this.kill = executable("kill").orElse(null);
    }

    /** What a stop did. */
    public enum Stop {
        /** The handle was written by another install or before the last boot: nothing was signalled. */
        NOT_OURS,
        /** Neither the process nor anything of its group was left: nothing was signalled. */
        NOT_RUNNING,
        /** Gone within the grace period after SIGTERM. */
        TERMINATED,
        /** Still there after the grace period: the group got SIGKILL and went. */
        KILLED,
        /** Still there after SIGKILL (or the wait for it was interrupted; the stop itself goes on). */
        SURVIVED
    }

    /** A process just started: the JDK's handle on it (exit code, {@code onExit}) and what to record of it. */
    public record Started(Process process, ProcessIdentity identity) {}

    /** This machine's boot id ({@code /proc/sys/kernel/random/boot_id}), where the system tells. */
    public static Optional<String> currentBootId() {
        try {
            String id = Files.readString(BOOT_ID, StandardCharsets.US_ASCII).strip();
            return id.isEmpty() ? Optional.empty() : Optional.of(id);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The install id this control records and requires, or {@code null}. */
    public String installId() {
        return installId;
    }

    /** The boot id this control records and requires, or {@code null} where the system does not tell. */
    public String bootId() {
        return bootId;
    }

    /**
     * Starts {@code builder}'s command as the leader of a new session and process group ({@code setsid} in front,
     * executed directly: no shell). Directory, redirections and environment are the caller's. Without a
     * {@code setsid} binary the command starts as it is, and a stop signals it and its descendants one by one.
     */
    public Started start(ProcessBuilder builder) throws IOException {
        List<String> command = List.copyOf(builder.command());
        if (command.isEmpty()) {
            throw new IllegalArgumentException("no command to start");
        }
        if (setsid != null) {
            List<String> full = new ArrayList<>(command.size() + 1);
            full.add(setsid);
            full.addAll(command);
            builder.command(full);
        }
        try {
            Process process = builder.start();
            // The JVM reaps its children, so /proc still shows this one unless it has already exited and gone.
            long ticks = ProcStat.read(process.pid()).map(ProcStat::startTicks).orElse(0L);
            return new Started(process, new ProcessIdentity(process.pid(), ticks, installId, bootId));
        } finally {
            builder.command(command);
        }
    }

    /**
     * Whether a handle's pid means anything here: written by this install (when this control has an install id) and
     * since the machine last booted. A handle without a boot id is only trusted by a control without an install id
     * (a user that never recorded either, e.g. an older launcher's pid file).
     */
    public boolean ours(ProcessIdentity process) {
        if (installId != null && !installId.equals(process.installId())) {
            return false;
        }
        if (process.bootId() != null) {
            return process.bootId().equals(bootId);
        }
        return installId == null;
    }

    /** Whether the process still runs: {@link #ours}, same pid and start time, not a zombie. */
    public boolean alive(ProcessIdentity process) {
        return ours(process) && sameLiveProcess(process);
    }

    /**
     * The live process of a saved handle (to watch its exit after a restart), only if {@link #alive}: a pid from a
     * copied-in or stale handle is never adopted.
     */
    public Optional<ProcessHandle> adopt(ProcessIdentity process) {
        if (!alive(process)) {
            return Optional.empty();
        }
        return ProcessHandle.of(process.pid()).filter(ProcessHandle::isAlive);
    }

    /**
     * The identity of live process {@code pid} if it started at {@code startedAt} (within
     * {@link #START_INSTANT_TOLERANCE}), for records that hold a start instant rather than start ticks;
     * {@code startedAt == null} (not recorded) takes any live process with that pid.
     */
    public Optional<ProcessIdentity> identify(long pid, Instant startedAt) {
        if (!ProcessIdentity.validPid(pid)) {
            return Optional.empty();
        }
        Optional<ProcStat> stat = ProcStat.read(pid).filter(ProcStat::alive);
        if (stat.isEmpty()) {
            return Optional.empty();
        }
        if (startedAt != null) {
            Optional<Instant> actual =
                    ProcessHandle.of(pid).flatMap(h -> h.info().startInstant());
            if (actual.isEmpty()
                    || Duration.between(actual.get(), startedAt).abs().compareTo(START_INSTANT_TOLERANCE) > 0) {
                return Optional.empty();
            }
        }
        return Optional.of(new ProcessIdentity(pid, stat.get().startTicks(), installId, bootId));
    }

    /** The kernel start time of {@code pid} in clock ticks after boot, if it exists. */
    public static Optional<Long> startTicks(long pid) {
        return ProcStat.read(pid).map(ProcStat::startTicks);
    }

    /** Whether any process (not a zombie) of the process group {@code pgid} is left. */
    public static boolean groupAlive(long pgid) {
        return ProcStat.all().stream().anyMatch(s -> s.processGroup() == pgid && s.alive());
    }

    /** {@link #stopAsync}, waiting for the outcome. */
    public Stop stop(ProcessIdentity process, Duration grace) {
        try {
            return stopAsync(process, grace).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Stop.SURVIVED;
        } catch (ExecutionException e) {
            throw new IllegalStateException("stopping pid " + process.pid() + " failed", e.getCause());
        }
    }

    /**
     * SIGTERM to the process's group now (in the calling thread), SIGKILL to the group if anything of it is left
     * after {@code grace}; completes once nothing is left, or {@link #KILL_WAIT} after the SIGKILL. When the leader
     * has gone but members of its group are left, they are stopped the same way - unless another process holds the
     * leader's pid now (its group would be that process's). A handle that is not {@link #ours} is never signalled.
     */
    public CompletableFuture<Stop> stopAsync(ProcessIdentity process, Duration grace) {
        if (!ours(process)) {
            return CompletableFuture.completedFuture(Stop.NOT_OURS);
        }
        if (!sameLiveProcess(process)) {
            boolean pidFree =
                    ProcStat.read(process.pid()).filter(ProcStat::alive).isEmpty();
            if (!pidFree || !groupAlive(process.pid())) {
                return CompletableFuture.completedFuture(Stop.NOT_RUNNING);
            }
        }
        Set<ProcessHandle> family = new LinkedHashSet<>(descendants(process));
        signal(process, "TERM", family);
        CompletableFuture<Stop> result = new CompletableFuture<>();
        await(process, family, System.nanoTime() + grace.toNanos(), false, result);
        return result;
    }

    private void await(
            ProcessIdentity process,
            Set<ProcessHandle> family,
            long deadline,
            boolean killed,
            CompletableFuture<Stop> result) {
        try {
            if (!anythingLeft(process, family)) {
                result.complete(killed ? Stop.KILLED : Stop.TERMINATED);
                return;
            }
            if (System.nanoTime() - deadline >= 0) {
                if (killed) {
                    result.complete(Stop.SURVIVED);
                    return;
                }
                family.addAll(descendants(process));
                signal(process, "KILL", family);
                long killDeadline = System.nanoTime() + KILL_WAIT.toNanos();
                TIMER.schedule(
                        () -> await(process, family, killDeadline, true, result),
                        POLL_MILLIS / 2,
                        TimeUnit.MILLISECONDS);
                return;
            }
            TIMER.schedule(() -> await(process, family, deadline, killed, result), POLL_MILLIS, TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
        }
    }

    private boolean anythingLeft(ProcessIdentity process, Set<ProcessHandle> family) {
        // Zombies do not count: an orphan's reaper may be slow (or, in some containers, never come).
        return sameLiveProcess(process)
                || groupAlive(process.pid())
                || family.stream().anyMatch(member -> running(member.pid()));
    }

    private static List<ProcessHandle> descendants(ProcessIdentity process) {
        if (!sameLiveProcess(process)) {
            return List.of();
        }
        return ProcessHandle.of(process.pid())
                .map(h -> h.descendants().toList())
                .orElse(List.of());
    }

    /**
     * Signals the process group with {@code kill(1)} (executed directly, no shell). Where there is no such group
     * (started without {@code setsid}, or {@code setsid} has not run yet right after the start), the process and its
     * descendants are signalled one by one.
     */
    private void signal(ProcessIdentity process, String signal, Set<ProcessHandle> family) {
        if (kill != null && run(kill, "-s", signal, "--", "-" + process.pid()) == 0) {
            return;
        }
        List<ProcessHandle> all = new ArrayList<>(family);
        if (sameLiveProcess(process)) {
            ProcessHandle.of(process.pid()).ifPresent(all::add);
        }
        boolean force = "KILL".equals(signal);
        for (ProcessHandle member : all) {
            if (force) {
                member.destroyForcibly();
            } else {
                member.destroy();
            }
        }
    }

    private static boolean running(long pid) {
        return ProcStat.read(pid).filter(ProcStat::alive).isPresent();
    }

    private static boolean sameLiveProcess(ProcessIdentity process) {
        return ProcStat.read(process.pid())
                .filter(ProcStat::alive)
                .filter(s -> !process.startKnown() || s.startTicks() == process.startTicks())
                .isPresent();
    }

    private static int run(String... command) {
        try {
            Process child = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!child.waitFor(5, TimeUnit.SECONDS)) {
                child.destroyForcibly();
                return -1;
            }
            return child.exitValue();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** A util-linux/procps binary: the usual absolute paths first, then this process's {@code PATH}. */
    private static Optional<String> executable(String name) {
        List<Path> candidates = new ArrayList<>(List.of(Path.of("/usr/bin", name), Path.of("/bin", name)));
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                if (!dir.isEmpty()) {
                    candidates.add(Path.of(dir, name));
                }
            }
        }
        return candidates.stream()
                .filter(Files::isExecutable)
                .map(Path::toString)
                .findFirst();
    }
}
