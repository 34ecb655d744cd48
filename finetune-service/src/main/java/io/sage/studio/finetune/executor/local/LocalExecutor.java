package io.sage.studio.finetune.executor.local;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.sage.studio.common.models.HubSettings;
import io.sage.studio.common.tracing.ChildTracing;
import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.sage.studio.finetune.domain.RunHandle;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.executor.InstanceIdentity;
import io.sage.studio.finetune.executor.RunKind;
import io.sage.studio.finetune.executor.RunListener;
import io.sage.studio.finetune.executor.TaskExecutor;
import io.sage.studio.finetune.executor.TrackerEnvironment;
import io.sage.studio.finetune.executor.TrackerSettings;
import io.sage.studio.finetune.gpu.GpuInventory;
import io.sage.studio.process.ChildEnvironment;
import io.sage.studio.process.ProcessControl;
import io.sage.studio.process.ProcessIdentity;

/**
 * Runs each trainer as a local process: {@code setsid <trainer command> --spec <task_dir>/job.json} through
 * {@link ProcessControl} (module {@code studio-process}), so the trainer leads its own process group (cancel signals
 * the whole group, the service's own signals and terminal never reach it) and outlives a crash of the service. Working directory: the task directory;
 * stdout and stderr: {@code logs.txt}; stdin: {@code /dev/null}. The JVM reaps its children. Environment: the
 * allow-listed part of the service's ({@link ChildEnvironment}: never its keys, tokens or {@code STUDIO_*}
 * settings) plus what {@code studio.finetune.local.pass-env} names, the Hugging Face settings ({@link HubSettings}:
 * {@code HF_HOME}, the cache shared with the engines, {@code HF_TOKEN}, the offline switches),
 * {@code studio.finetune.local.env.*} (which wins over them), {@code SAGE_TASK_ID}, {@code PYTHONUNBUFFERED} and {@code CUDA_VISIBLE_DEVICES}, and the trace of the task's
 * create call ({@code TRACEPARENT}, with the export settings while tracing is on: {@link ChildTracing}). A merge
 * ({@link RunKind#MERGE}) is the same command with {@code merge --task-dir <task_dir>}, its output in
 * {@code merge_logs.txt}, and takes a slot (a GPU) like a training.
 *
 * <p>GPUs (issue 21): a {@link GpuAllocator} over this node's GPUs known from telemetry gives a task exactly its
 * {@code gpus} ({@code CUDA_VISIBLE_DEVICES} set to their indices; a merge takes one), smaller tasks start beside it on
 * the free ones, and a task that waited longer than {@code studio.finetune.local.gpu-reservation-after} keeps GPUs from
 * the tasks behind it. When no GPU is known (no telemetry, or {@code one-per-gpu=false}) the allocator hands out
 * {@code studio.finetune.local.concurrency} stand-in slots and no {@code CUDA_VISIBLE_DEVICES}: a task on several GPUs
 * then takes every slot, since its trainer sees every device of the machine and nothing may run beside it. A run on
 * more than one GPU also gets {@code SAGE_MASTER_ADDR=127.0.0.1} and {@code SAGE_MASTER_PORT}, a port free when it
 * starts, which win over {@code job.json}'s {@code distributed} block, so two such runs on one node never share a port.
 */
@ApplicationScoped
@Typed(LocalExecutor.class)
public class LocalExecutor implements TaskExecutor {

    public static final String NAME = "local";
    private static final String LOOPBACK = "127.0.0.1";
    private static final Logger LOG = Logger.getLogger(LocalExecutor.class);
    private static final Map<Integer, String> SIGNALS =
            Map.of(1, "SIGHUP", 2, "SIGINT", 6, "SIGABRT", 9, "SIGKILL", 11, "SIGSEGV", 15, "SIGTERM");

    private final FinetuneConfig.Local config;
    private final GpuInventory inventory;
    private final InstanceIdentity identity;
    private final ProcessControl processes;
    private final Map<String, String> hubEnv;
    private final TrackerSettings trackers;
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final GpuAllocator allocator;
    private volatile boolean closed;

    @Inject
    public LocalExecutor(FinetuneConfig config, GpuInventory inventory, InstanceIdentity identity, HubSettings hub) {
        this(config.local(), inventory, identity, hub.processEnv(), TrackerSettings.of(config.trackers()));
    }

    /** Without Hugging Face settings (tests of the launch itself). */
    public LocalExecutor(FinetuneConfig.Local config, GpuInventory inventory, InstanceIdentity identity) {
        this(config, inventory, identity, Map.of());
    }

    /** @param hubEnv what {@link HubSettings#processEnv()} gives every trainer */
    public LocalExecutor(
            FinetuneConfig.Local config,
            GpuInventory inventory,
            InstanceIdentity identity,
            Map<String, String> hubEnv) {
        this(config, inventory, identity, hubEnv, TrackerSettings.none());
    }

    /** @param trackers {@code studio.finetune.trackers.*}, beneath the service's own {@code MLFLOW_*}/{@code WANDB_*} */
    public LocalExecutor(
            FinetuneConfig.Local config,
            GpuInventory inventory,
            InstanceIdentity identity,
            Map<String, String> hubEnv,
            TrackerSettings trackers) {
        this.hubEnv = Map.copyOf(hubEnv);
        this.trackers = trackers;
        this.config = config;
        this.inventory = inventory;
        this.identity = identity;
        this.processes = new ProcessControl(identity.id(), identity.bootId());
        this.allocator = new GpuAllocator(config.gpuReservationAfter(), Clock.systemUTC());
    }

    /** A watched run: one this executor launched, or re-adopted after checking it launched it. */
    private record Running(String taskId, RunKind kind, ProcessIdentity process) {}

    /**
     * What the allocator hands out: this node's GPU indices from telemetry ({@code real}), else stand-in slots
     * {@code 0..concurrency-1}.
     */
    private record Pool(List<Integer> units, boolean real) {}

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public synchronized int freeSlots() {
        return allocator.free(pool().units()).size();
    }

    @Override
    public synchronized Optional<TaskRecord> next(List<TaskRecord> waiting) {
        Pool pool = pool();
        Map<String, TaskRecord> byId = new HashMap<>();
        List<GpuAllocator.Want> wants = new ArrayList<>();
        for (TaskRecord task : waiting) {
            byId.put(task.taskId(), task);
            wants.add(new GpuAllocator.Want(task.taskId(), need(task, RunKind.TRAIN, pool)));
        }
        return allocator.next(pool.units(), wants).map(w -> byId.get(w.taskId()));
    }

    @Override
    public synchronized RunHandle launch(TaskRecord task, Path taskDir, RunKind kind, RunListener listener)
            throws LaunchException {
        List<String> command = new ArrayList<>();
        try {
            command.addAll(CommandLine.split(config.trainerCommand()));
        } catch (IllegalArgumentException e) {
            throw new LaunchException("studio.finetune.local.trainer-command is malformed: " + e.getMessage(), e);
        }
        Pool pool = pool();
        int need = need(task, kind, pool);
        String key = kind.key(task.taskId());
        List<Integer> units = allocator.take(key, pool.units(), need);
        if (units.isEmpty()) {
            throw new LaunchException(
                    pool.real()
                            ? need + " free GPU(s) needed on this node, "
                                    + allocator.free(pool.units()).size() + " free"
                            : "no free slot (studio.finetune.local.concurrency)",
                    null);
        }
        try {
            return start(task, taskDir, kind, listener, command, pool.real() ? units : List.of(), key);
        } catch (LaunchException | RuntimeException e) {
            allocator.release(key);
            throw e;
        }
    }

    private RunHandle start(
            TaskRecord task,
            Path taskDir,
            RunKind kind,
            RunListener listener,
            List<String> command,
            List<Integer> assigned,
            String key)
            throws LaunchException {
        command.addAll(kind.args(taskDir.toString()));

        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(taskDir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        taskDir.resolve(kind.logFile()).toFile()));
        Map<String, String> env = ChildEnvironment.named(System.getenv(), config.passEnv());
        if (kind == RunKind.TRAIN && task.config() != null) {
            env.putAll(TrackerEnvironment.of(System.getenv(), task.config().reportTo(), trackers));
        }
        env.putAll(hubEnv);
        env.putAll(config.env());
        env.putAll(ChildTracing.environment(task.traceparent(), task.tracestate(), ChildTracing.TRAINER));
        env.put("SAGE_TASK_ID", task.taskId());
        env.put("PYTHONUNBUFFERED", "1");
        if (!assigned.isEmpty()) {
            env.put(
                    "CUDA_VISIBLE_DEVICES",
                    assigned.stream().map(String::valueOf).collect(Collectors.joining(",")));
        }
        if (kind == RunKind.TRAIN && task.config() != null && task.config().worldSize() > 1) {
            env.put("SAGE_MASTER_ADDR", LOOPBACK);
            env.put("SAGE_MASTER_PORT", String.valueOf(freePort()));
        }
        ChildEnvironment.apply(builder, env);
        ProcessControl.Started started;
        try {
            appendLog(
                    taskDir.resolve(kind.logFile()),
                    (kind == RunKind.MERGE ? "starting merge: " : "starting trainer: ")
                            + String.join(" ", command)
                            + (assigned.isEmpty()
                                    ? ""
                                    : " (CUDA_VISIBLE_DEVICES=" + env.get("CUDA_VISIBLE_DEVICES") + ")"));
            started = processes.start(builder);
        } catch (IOException e) {
            throw new LaunchException("cannot start the trainer (" + command.get(0) + "): " + e.getMessage(), e);
        }
        Process process = started.process();
        ProcessIdentity id = started.identity();
        running.put(key, new Running(task.taskId(), kind, id));
        String taskId = task.taskId();
        process.onExit().whenComplete((p, error) -> ended(key, taskId, listener, exitCodeOf(process)));
        return RunHandle.local(id.pid(), id.startTicks(), assigned, id.installId(), id.bootId());
    }

    /**
     * Re-adopts a trainer only when this install launched it since the machine booted (instance and boot id of
     * the handle) and the pid still names the process that started then: a copied-in task folder's pid is never
     * trusted, so no unrelated process is ever watched or signalled.
     */
    @Override
    public synchronized boolean reattach(
            TaskRecord task, RunHandle handle, Path taskDir, RunKind kind, RunListener listener) {
        if (handle == null
                || !NAME.equals(handle.executor())
                || handle.pid() == null
                || handle.pidStartTicks() == null
                || !ProcessIdentity.validPid(handle.pid())
                || handle.pidStartTicks() <= 0) {
            return false;
        }
        ProcessIdentity id =
                new ProcessIdentity(handle.pid(), handle.pidStartTicks(), handle.instanceId(), handle.bootId());
        if (!processes.ours(id)) {
            LOG.warnf(
                    "task %s: its run handle was not written by this install since the last boot (a task folder "
                            + "copied in?); pid %d is not adopted or signalled",
                    task.taskId(), handle.pid());
            return false;
        }
        Optional<ProcessHandle> process = processes.adopt(id);
        if (process.isEmpty()) {
            return false;
        }
        String taskId = task.taskId();
        String key = kind.key(taskId);
        running.put(key, new Running(taskId, kind, id));
        holdReadopted(key, task, kind, handle);
        process.get().onExit().whenComplete((p, error) -> ended(key, taskId, listener, null));
        LOG.infof("re-adopted %s of %s (pid %d)", kind == RunKind.MERGE ? "merge" : "trainer", taskId, handle.pid());
        return true;
    }

    /** Signals only a trainer this executor launched or re-adopted (never a pid read from a task's files). */
    @Override
    public void cancel(TaskRecord task, RunKind kind) {
        Running run = running.get(kind.key(task.taskId()));
        if (run == null) {
            LOG.debugf("task %s: no trainer of this install to signal", task.taskId());
            return;
        }
        String taskId = task.taskId();
        processes.stopAsync(run.process(), config.cancelGrace()).whenComplete((stop, error) -> {
            if (stop == ProcessControl.Stop.KILLED || stop == ProcessControl.Stop.SURVIVED) {
                LOG.infof(
                        "trainer of %s ignored SIGTERM for %s; it got SIGKILL%s",
                        taskId,
                        config.cancelGrace(),
                        stop == ProcessControl.Stop.SURVIVED ? " and is still there" : "");
            } else if (error != null) {
                LOG.warnf("stopping the trainer of %s failed: %s", taskId, error.getMessage());
            }
        });
    }

    @Override
    @PreDestroy
    public void close() {
        closed = true;
        running.clear();
        allocator.clear();
    }

    private void ended(String key, String taskId, RunListener listener, Integer exitCode) {
        if (closed) {
            return;
        }
        running.remove(key);
        allocator.release(key);
        String detail = exitCode != null && exitCode > 128
                ? "killed by signal " + (exitCode - 128)
                        + Optional.ofNullable(SIGNALS.get(exitCode - 128))
                                .map(n -> " (" + n + ")")
                                .orElse("")
                : null;
        listener.exited(taskId, exitCode, detail);
    }

    private static Integer exitCodeOf(Process process) {
        try {
            return process.exitValue();
        } catch (IllegalThreadStateException e) {
            return null;
        }
    }

    /** This node's GPUs from telemetry, else {@code concurrency} stand-in slots. */
    private Pool pool() {
        List<Integer> gpus = config.onePerGpu()
                ? inventory.localGpus().stream()
                        .map(GpuTelemetryEvent::index)
                        .distinct()
                        .sorted(Comparator.naturalOrder())
                        .toList()
                : List.of();
        if (!gpus.isEmpty()) {
            return new Pool(gpus, true);
        }
        return new Pool(
                IntStream.range(0, Math.max(0, config.concurrency())).boxed().toList(), false);
    }

    /**
     * What a run takes from {@code pool}: a merge one unit; a training its {@code gpus} of real GPUs, or of stand-in
     * slots one for a single-GPU task and all of them for a multi-GPU one (its trainer sees every device).
     */
    private static int need(TaskRecord task, RunKind kind, Pool pool) {
        int gpus =
                kind == RunKind.TRAIN && task.config() != null ? task.config().gpus() : 1;
        if (pool.real() || gpus <= 1) {
            return gpus;
        }
        return Math.max(1, pool.units().size());
    }

    /**
     * A re-adopted run holds the GPUs its handle names; one launched without known GPUs holds as many free stand-in
     * slots as it would take now (or what is left of them).
     */
    private void holdReadopted(String key, TaskRecord task, RunKind kind, RunHandle handle) {
        if (handle.gpus() != null && !handle.gpus().isEmpty()) {
            allocator.hold(key, handle.gpus());
            return;
        }
        Pool pool = pool();
        List<Integer> free = allocator.free(pool.units());
        int need = pool.real() ? 1 : need(task, kind, pool);
        allocator.hold(key, free.subList(0, Math.min(need, free.size())));
    }

    /** A port free on the loopback now (the torch.distributed rendezvous of a multi-GPU run binds it soon after). */
    private static int freePort() throws LaunchException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new LaunchException("no free port for the distributed rendezvous: " + e.getMessage(), e);
        }
    }

    private static void appendLog(Path logFile, String line) throws IOException {
        Files.writeString(
                logFile,
                "[finetune-service " + Instant.now() + "] " + line + "\n",
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }
}
