package io.sage.studio.chat.runtime.local;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.chat.runtime.BackendSpec;
import io.sage.studio.chat.runtime.EngineArgs;
import io.sage.studio.chat.runtime.Liveness;
import io.sage.studio.chat.runtime.ServingRuntime;
import io.sage.studio.common.engine.EngineApiKey;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.common.models.HubSettings;
import io.sage.studio.process.ChildEnvironment;
import io.sage.studio.process.ProcessControl;
import io.sage.studio.process.ProcessIdentity;

/**
 * Engines as child processes of this machine: the command template split into arguments (no shell), each engine
 * in its own session and process group ({@code setsid}, through {@link ProcessControl} of module {@code studio-process})
 * so that it outlives a restart of this service and can be stopped with everything it spawned, output appended to
 * {@code $STUDIO_HOME/studio/chat/<backend>.log}. A process is recognised after a restart by its pid and start time
 * ({@code state.json} keeps the start instant), never by pid alone.
 */
@ApplicationScoped
@Typed(LocalProcessRuntime.class)
public class LocalProcessRuntime implements ServingRuntime {

    private static final Logger LOG = Logger.getLogger(LocalProcessRuntime.class);
    /** vLLM reads its API key from here when no {@code --api-key} is given (kept out of {@code ps}). */
    static final String API_KEY_ENV = "VLLM_API_KEY";

    static final String RUNTIME_LORA_ENV = "VLLM_ALLOW_RUNTIME_LORA_UPDATING";
    static final String CUDA_DEVICES_ENV = "CUDA_VISIBLE_DEVICES";
    private static final Pattern LOG_FILE = Pattern.compile("b-[A-Za-z0-9._-]+\\.log");

    private final ChatConfig.Local config;
    private final ChatConfig.Memory memory;
    private final ChatConfig.Engine engine;
    private final CommandTemplate template;
    private final PortPool ports;
    private final Path logDir;
    private final ProcessControl processes = new ProcessControl(null);
    private final EngineApiKey apiKey;
    private final HubSettings hub;
    private final Map<String, Process> children = new ConcurrentHashMap<>();
    private final Map<String, Integer> portsInUse = new ConcurrentHashMap<>();

    /** With the default Hugging Face settings ({@code HF_HOME} in the studio home, online, the service's HF_TOKEN). */
    public LocalProcessRuntime(ChatConfig config, StudioHome home, EngineApiKey apiKey) {
        this(config, home, apiKey, HubSettings.defaults(home, System.getenv()));
    }

    @Inject
    public LocalProcessRuntime(ChatConfig config, StudioHome home, EngineApiKey apiKey, HubSettings hub) {
        this.config = config.local();
        this.apiKey = apiKey;
        this.hub = hub;
        this.memory = config.memory();
        this.engine = config.engine();
        this.template = CommandTemplate.parse(this.config.command());
        this.ports = PortPool.parse(this.config.host(), this.config.ports());
        this.ports.ephemeralOverlap().ifPresent(LOG::warn);
        this.logDir = home.chatDir();
    }

    @Override
    public String name() {
        return "local";
    }

    @Override
    public boolean hasEngines() {
        return true;
    }

    @Override
    public synchronized Backend start(BackendSpec spec) throws RuntimeFailure {
        int port = ports.next(new HashSet<>(portsInUse.values()))
                .orElseThrow(() -> new RuntimeFailure("no free port for a new engine in studio.chat.local.ports="
                        + config.ports() + ": " + ports.whyNoneFree(enginesByPort())));
        List<String> command = command(spec, port);
        Set<String> running = new HashSet<>(portsInUse.keySet());
        running.add(spec.id());
        pruneLogs(running);
        Path log = logDir.resolve(spec.id() + ".log");
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        ChildEnvironment.apply(builder, environment(spec));
        Process process;
        try {
            Files.createDirectories(logDir);
            Files.writeString(
                    log,
                    "=== " + Instant.now() + " starting " + String.join(" ", command) + "\n",
                    StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
            process = processes.start(builder).process();
        } catch (IOException e) {
            throw new RuntimeFailure("cannot start the engine '" + command.get(0) + "': " + e.getMessage(), e);
        }
        children.put(spec.id(), process);
        portsInUse.put(spec.id(), port);
        Instant started = process.info().startInstant().orElse(Instant.now());
        LOG.infof("started engine %s (pid %d, port %d): %s", spec.id(), process.pid(), port, spec.modelPath());
        return new Backend(
                spec.id(),
                name(),
                spec,
                "http://" + config.host() + ":" + port,
                port,
                process.pid(),
                started,
                null,
                log.toString(),
                spec.adapters(),
                Backend.State.STARTING,
                Instant.now());
    }

    private Map<Integer, String> enginesByPort() {
        Map<Integer, String> engines = new HashMap<>();
        portsInUse.forEach((id, port) -> engines.put(port, id));
        return engines;
    }

    /**
     * What an engine gets on top of the allow-listed part of this service's environment ({@link ChildEnvironment}: never
     * a key or a secret of this service): the Hugging Face settings ({@link HubSettings}: {@code HF_HOME}, the shared
     * cache the trainers fill too, {@code HF_TOKEN}, the offline switches), {@code studio.chat.local.environment}
     * (which wins), the engines' API key, with LoRA runtime adapter loading, and {@code CUDA_VISIBLE_DEVICES} with the
     * GPUs the planner gave the engine (its tensor-parallel size of them) so it sees exactly those.
     */
    Map<String, String> environment(BackendSpec spec) {
        Map<String, String> explicit = new LinkedHashMap<>(hub.processEnv());
        explicit.putAll(config.environment());
        if (spec.loraEnabled()) {
            explicit.put(RUNTIME_LORA_ENV, "True");
        } else {
            explicit.remove(RUNTIME_LORA_ENV);
        }
        explicit.put(API_KEY_ENV, apiKey.getOrCreate());
        if (!spec.gpus().isEmpty()) {
            // the indices are NVML's (telemetry), which follow the PCI bus; CUDA's default order is fastest first
            explicit.put("CUDA_DEVICE_ORDER", "PCI_BUS_ID");
            explicit.put(
                    CUDA_DEVICES_ENV, spec.gpus().stream().map(String::valueOf).collect(Collectors.joining(",")));
        }
        return explicit;
    }

    /**
     * The engine's arguments: the template, then the memory flags, the tensor-parallel size and the LoRA flags the spec
     * asks for
     * ({@link EngineArgs}, shared with the Kubernetes runtime). The engine listens on
     * {@code studio.chat.local.host} only: a {@code --host} of the template is replaced, a missing one added (vLLM
     * would listen on every interface).
     */
    List<String> command(BackendSpec spec, int port) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("model", spec.modelPath());
        values.put("port", Integer.toString(port));
        values.put("name", spec.servedName());
        values.put("host", config.host());
        List<String> args = new ArrayList<>(template.render(values));
        boolean hostGiven = false;
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals("--host") && i + 1 < args.size()) {
                args.set(i + 1, config.host());
                hostGiven = true;
            } else if (args.get(i).startsWith("--host=")) {
                args.set(i, "--host=" + config.host());
                hostGiven = true;
            }
        }
        if (!hostGiven) {
            args.add("--host");
            args.add(config.host());
        }
        memory.gpuMemoryUtilization().ifPresent(u -> {
            args.add("--gpu-memory-utilization");
            args.add(Double.toString(u));
        });
        args.addAll(EngineArgs.tensorParallel(spec));
        args.addAll(EngineArgs.lora(spec, engine));
        return args;
    }

    @Override
    public Liveness liveness(Backend backend) {
        Process own = children.get(backend.id());
        if (own != null && !own.isAlive()) {
            return Liveness.dead("the engine exited with code " + own.exitValue() + tailSuffix(backend));
        }
        if (own != null) {
            return Liveness.ALIVE;
        }
        return identity(backend).isPresent()
                ? Liveness.ALIVE
                : Liveness.dead("the engine process " + backend.pid() + " is gone" + tailSuffix(backend));
    }

    @Override
    public void stop(Backend backend) {
        Optional<ProcessIdentity> process = identity(backend);
        Process own = children.remove(backend.id());
        portsInUse.remove(backend.id());
        if (process.isEmpty()) {
            return;
        }
        Duration grace = config.stopTimeout();
        ProcessControl.Stop stopped = processes.stop(process.get(), grace);
        if (stopped == ProcessControl.Stop.KILLED || stopped == ProcessControl.Stop.SURVIVED) {
            LOG.warnf("engine %s did not stop within %s; killed it", backend.id(), grace);
        }
        if (own != null) {
            try {
                own.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        LOG.infof("stopped engine %s (pid %d)", backend.id(), backend.pid());
    }

    @Override
    public List<Backend> adopt(List<Backend> recorded, Set<String> keep) {
        List<Backend> adopted = new ArrayList<>();
        for (Backend backend : recorded) {
            if (!name().equals(backend.runtime()) || identity(backend).isEmpty()) {
                continue;
            }
            if (keep.contains(backend.id())) {
                portsInUse.put(backend.id(), backend.port());
                adopted.add(backend);
                LOG.infof("re-adopted engine %s (pid %d, port %d)", backend.id(), backend.pid(), backend.port());
            } else {
                LOG.infof("stopping orphaned engine %s (pid %d)", backend.id(), backend.pid());
                stop(backend);
            }
        }
        pruneLogs(adopted.stream().map(Backend::id).collect(Collectors.toSet()));
        return adopted;
    }

    /** Deletes the oldest engine logs ({@code b-*.log}) beyond {@code local.keep-logs}, never one of a running engine. */
    void pruneLogs(Set<String> running) {
        List<Path> logs;
        try (Stream<Path> files = Files.list(logDir)) {
            logs = files.filter(
                            f -> LOG_FILE.matcher(f.getFileName().toString()).matches())
                    .filter(f -> !running.contains(f.getFileName().toString().replaceFirst("\\.log$", "")))
                    .sorted(Comparator.comparing(LocalProcessRuntime::modified).reversed())
                    .toList();
        } catch (IOException e) {
            return;
        }
        for (Path old :
                logs.subList(Math.min(logs.size(), Math.max(0, config.keepLogs() - running.size())), logs.size())) {
            try {
                Files.deleteIfExists(old);
            } catch (IOException e) {
                LOG.debugf("cannot delete the engine log %s: %s", old, e.getMessage());
            }
        }
    }

    private static FileTime modified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    @Override
    public String logTail(Backend backend, int lines) {
        if (backend.logFile() == null) {
            return "";
        }
        try (RandomAccessFile file = new RandomAccessFile(backend.logFile(), "r")) {
            long length = file.length();
            int size = (int) Math.min(length, 16 * 1024);
            byte[] buffer = new byte[size];
            file.seek(length - size);
            file.readFully(buffer);
            List<String> all = new String(buffer, StandardCharsets.UTF_8)
                    .lines()
                    .filter(l -> !l.isBlank())
                    .toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "";
        }
    }

    private String tailSuffix(Backend backend) {
        String tail = logTail(backend, 5);
        return tail.isEmpty() ? "" : "; last output:\n" + tail;
    }

    /** The live process of a backend, only if its start time is the recorded one (pids are reused). */
    private Optional<ProcessIdentity> identity(Backend backend) {
        if (backend.pid() == null) {
            return Optional.empty();
        }
        return processes.identify(backend.pid(), backend.processStart());
    }
}
