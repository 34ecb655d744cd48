package io.sage.studio.cli.launcher;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import io.sage.studio.events.Topics;
import io.sage.studio.kafka.StandaloneBroker;
import io.sage.studio.process.ProcessControl;

/**
 * {@code ./sage studio start|stop|restart|status|logs}: the broker and the four services as background
 * processes of the local machine, with pid files, logs and readiness checks. Each runs in its own process group and
 * is recognised by pid, kernel start time and boot id ({@link ProcessControl}, module {@code studio-process}).
 */
public final class StudioLauncher {

    private static final Duration STOP_GRACE = Duration.ofSeconds(20);
    /** A service that records its class cache writes it as it exits (seconds, a second JVM on a JDK 25). */
    private static final Duration RECORDING_STOP_GRACE = Duration.ofSeconds(90);

    private final LauncherSettings settings;
    private final JavaRuntime runtime;
    private final StartupCache startupCache;
    private final PrintStream out;
    /** The launcher keeps no install id: its pid files live in the studio home they belong to. */
    private final ProcessControl processes = new ProcessControl(null);

    /**
     * Where this launcher's broker began writing its log in this start, {@code -1} when it started none: its own
     * broker is ready when that part of the log has {@link StandaloneBroker}'s ready line (topics made), which costs
     * nothing to look at, where asking it with an admin client cost the CLI a second and more of its start.
     */
    private long brokerLogStart = -1;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public StudioLauncher(LauncherSettings settings, PrintStream out) {
        this.settings = settings;
        this.runtime = settings.javaRuntime();
        this.startupCache = settings.startupCache();
        this.out = out;
    }

    /** What a component is doing now. */
    public enum State {
        RUNNING,
        STARTING,
        DOWN,
        EXTERNAL,
        UNREACHABLE;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One line of {@code sage studio status}. */
    public record Status(Component component, State state, Long pid, String url) {}

    /** Extra environment for the services, e.g. the chat runtime chosen by {@code --no-llm}. */
    public record StartOptions(Map<String, String> serviceEnv, boolean prod) {
        public static StartOptions defaults() {
            return new StartOptions(Map.of(), false);
        }
    }

    // ---------------------------------------------------------------- start

    /** Starts whatever is not running; returns {@code true} when something was started. */
    public boolean start(StartOptions options) {
        prepareDirectories();
        Map<Component, Status> before = statusByComponent();
        new StudioBuild(settings, out)
                .ensureBuilt(before.entrySet().stream()
                        .filter(e -> e.getValue().state() == State.RUNNING
                                || e.getValue().state() == State.STARTING)
                        .map(Map.Entry::getKey)
                        .toList());

        // A component whose process runs but does not answer yet (starting, or waiting for the broker) is waited
        // for, never started a second time: the copy could not bind its port and would orphan the first.
        List<Component> starting = settings.components().stream()
                .filter(c -> before.get(c).state() == State.STARTING)
                .toList();
        List<Component> missing = settings.components().stream()
                .filter(c -> before.get(c).state() == State.DOWN)
                .toList();
        if (missing.isEmpty() && starting.isEmpty()) {
            out.println("SAGE Studio is already running; nothing to do.");
            printStatus(before.values());
            out.println();
            out.println("Studio: " + settings.gateway().url());
            printOpenAiUrl();
            return false;
        }
        if (before.values().stream().anyMatch(s -> s.state() == State.UNREACHABLE)) {
            throw new LauncherException(
                    "Kafka at " + settings.kafkaBootstrap()
                            + " (KAFKA_BOOTSTRAP_SERVERS) does not answer; start it or unset KAFKA_BOOTSTRAP_SERVERS to let the studio run its own broker");
        }
        checkPorts(missing);
        for (Component component : starting) {
            out.println(component.name() + " (pid " + before.get(component).pid() + ") is starting; waiting for it …");
        }

        List<Component> started = new ArrayList<>();
        // The services start beside the broker, not after it: their Kafka clients connect (and their readiness
        // turns UP) once it answers, and the broker's start no longer leaves the second core idle.
        List<Component> awaited = new ArrayList<>();
        try {
            if (missing.contains(settings.kafka())) {
                out.println("Starting kafka on " + settings.kafka().url() + " (data in " + settings.kafkaDir() + ") …");
                startBroker();
                started.add(settings.kafka());
                awaited.add(settings.kafka());
            } else if (starting.contains(settings.kafka())) {
                awaited.add(settings.kafka());
            }
            List<Component> services =
                    missing.stream().filter(Component::service).toList();
            if (!services.isEmpty()) {
                out.println("Services run on JDK " + runtime.feature() + " (" + runtime.home()
                        + "; STUDIO_JAVA_HOME chooses another)"
                        + (startupCache.enabled() ? ", class cache in " + startupCache.dir() : "") + ".");
            }
            for (Component service : services) {
                out.println("Starting " + service.name() + " on port " + service.port() + " …");
                startService(service, options);
                started.add(service);
            }
            awaited.addAll(services);
            starting.stream().filter(Component::service).forEach(awaited::add);
            awaitReady(awaited);
        } catch (LauncherException e) {
            out.println("Start failed; stopping what this command started.");
            for (Component component : reversed(started)) {
                stop(component, true);
            }
            throw e;
        }
        printStatus(statusByComponent().values());
        out.println();
        out.println("SAGE Studio is ready: " + settings.gateway().url());
        printOpenAiUrl();
        return true;
    }

    private void prepareDirectories() {
        try {
            Files.createDirectories(settings.logsDir());
            Files.createDirectories(settings.runDir());
            Files.createDirectories(settings.kafkaDir());
        } catch (IOException e) {
            throw new LauncherException("cannot create " + settings.studioDir() + ": " + e.getMessage());
        }
    }

    private void checkPorts(List<Component> missing) {
        for (Component component : missing) {
            if (!Ports.free(component.port())) {
                throw new LauncherException("port " + component.port() + " needed by " + component.name()
                        + " is already in use by another program; stop that program or choose another port with "
                        + component.portVariable());
            }
            if (component.equals(settings.gateway())
                    && settings.llmPort().isPresent()
                    && !Ports.free(settings.llmPort().getAsInt())) {
                throw new LauncherException("port " + settings.llmPort().getAsInt() + " needed by the gateway's local "
                        + "OpenAI URL " + settings.openAiUrl().orElseThrow() + " is already in use by another program "
                        + "(an older studio's model server?); stop that program or choose another port with "
                        + LauncherSettings.LLM_PORT_VARIABLE + " (off: no such URL)");
            }
            if (component.equals(settings.kafka()) && !Ports.free(settings.kafkaControllerPort())) {
                throw new LauncherException("port " + settings.kafkaControllerPort() + " needed by the kafka controller"
                        + " is already in use by another program; choose other ports with " + component.portVariable());
            }
        }
    }

    private void startBroker() {
        List<String> command = new ArrayList<>();
        command.add(runtime.java());
        command.add("-Xmx512m");
        command.add("-XX:+UseSerialGC");
        // C1 only, as the services: the studio's events are a few per second, and C2 compiling Kafka's start-up
        // cost about 2 of its 5 CPU seconds on a 2-core machine, where the broker's start is the studio's longest.
        command.add("-XX:TieredStopAtLevel=1");
        command.add(LauncherSettings.COMPILE_THRESHOLD_SCALING);
        command.addAll(startupCache.flags(settings.kafka().name(), settings.cliFiles(), runtime));
        command.add("-Dsage.log.level=INFO");
        command.add("-cp");
        command.add(settings.cliClasspath());
        command.add("io.sage.studio.kafka.StandaloneBroker");
        command.add(settings.kafkaDir().toString());
        command.add(Integer.toString(settings.kafka().port()));
        command.add(Integer.toString(settings.kafkaControllerPort()));
        Path log = settings.log(settings.kafka());
        try {
            brokerLogStart = Files.exists(log) ? Files.size(log) : 0;
        } catch (IOException e) {
            brokerLogStart = -1; // asked with an admin client then
        }
        PidRecord record = start(command, Map.of(), log, settings.kafkaDir());
        record.write(settings.pidFile(settings.kafka()));
    }

    private void startService(Component service, StartOptions options) {
        List<String> command = new ArrayList<>();
        command.add(runtime.java());
        command.addAll(settings.javaOptions());
        command.addAll(runtimeOptions(runtime));
        command.addAll(startupCache.flags(
                service.name(), List.of(service.jar(settings.repo()).getParent()), runtime));
        command.add("-jar");
        command.add(service.jar(settings.repo()).toString());
        PidRecord record = start(command, serviceEnvironment(service, options), settings.log(service), settings.repo());
        record.write(settings.pidFile(service));
    }

    /**
     * Starts {@code command} detached from this process (own session and process group), with this launcher's
     * environment plus {@code env}, output appended to {@code log}.
     */
    private PidRecord start(List<String> command, Map<String, String> env, Path log, Path cwd) {
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(cwd.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().putAll(env);
        try {
            Files.createDirectories(log.getParent());
            return PidRecord.of(processes.start(builder).identity(), String.join(" ", command));
        } catch (IOException e) {
            throw new LauncherException("cannot start " + command.get(0) + ": " + e.getMessage());
        }
    }

    /** The launcher's environment plus where everything is; explicit settings of the user win. */
    Map<String, String> serviceEnvironment(Component service, StartOptions options) {
        Map<String, String> env = new HashMap<>();
        env.put("STUDIO_HOME", settings.home().toString());
        env.put("KAFKA_BOOTSTRAP_SERVERS", settings.kafkaBootstrap());
        env.put(
                "STUDIO_SERVICES_FINETUNE_URL",
                "http://127.0.0.1:" + settings.finetune().port());
        env.put(
                "STUDIO_SERVICES_CHAT_URL",
                "http://127.0.0.1:" + settings.chat().port());
        env.put("STUDIO_SERVICES_GPU_URL", "http://127.0.0.1:" + settings.gpu().port());
        env.put(
                "STUDIO_SERVICES_GATEWAY_URL",
                "http://127.0.0.1:" + settings.gateway().port());
        // `sage studio stop` ends the model servers too (unless the user says otherwise); a crashed
        // chat-switch-service still re-adopts them, and the next start serves the same model again.
        if (!settings.environment().containsKey("STUDIO_CHAT_LOCAL_STOP_ON_SHUTDOWN")) {
            env.put("STUDIO_CHAT_LOCAL_STOP_ON_SHUTDOWN", "true");
        }
        // Route and switch events on the broker are signed and checked (a key of the user's own wins).
        if (!settings.environment().containsKey(SigningKey.VARIABLE)) {
            env.put(SigningKey.VARIABLE, SigningKey.getOrCreate(settings.studioDir()));
        }
        if (!settings.environment().containsKey("STUDIO_FINETUNE_LOCAL_TRAINER_COMMAND")
                && Files.isExecutable(settings.defaultTrainer())) {
            env.put(
                    "STUDIO_FINETUNE_LOCAL_TRAINER_COMMAND",
                    settings.defaultTrainer().toString());
        }
        // The stable local OpenAI URL (the original studio's SAGE_STUDIO_LLM_PORT): the gateway listens there too, and
        // model servers take ports that leave it free (the chat-switch-service checks it again at start).
        env.put("STUDIO_CHAT_LOCAL_PORTS", settings.enginePorts());
        if (settings.llmPort().isPresent()) {
            String llmPort = Integer.toString(settings.llmPort().getAsInt());
            env.put("STUDIO_GATEWAY_LLM_PORT", llmPort);
            env.put("STUDIO_CHAT_LOCAL_LLM_PORT", llmPort);
        }
        env.putAll(options.serviceEnv());
        // The port is the launcher's to decide: never inherit a QUARKUS_HTTP_PORT meant for something else.
        env.put("QUARKUS_HTTP_PORT", Integer.toString(service.port()));
        return env;
    }

    private void awaitReady(List<Component> components) {
        long deadline = System.nanoTime() + settings.startTimeout().toNanos();
        List<Component> pending = new ArrayList<>(components);
        while (!pending.isEmpty()) {
            // A service is not ready before the broker it needs: while the broker this start launched is still
            // starting, its services are only watched for an exit. Their health endpoints are asked once it is up,
            // so the CPU that the whole start is short of is not spent on answering "down" ten times a second.
            boolean brokerStarting = pending.contains(settings.kafka());
            for (Component component : List.copyOf(pending)) {
                Optional<PidRecord> record = PidRecord.read(settings.pidFile(component));
                if (record.isEmpty() || !processes.alive(record.get().identity())) {
                    throw new LauncherException(component.name() + " exited during start-up. Last lines of "
                            + settings.log(component) + ":\n" + tail(settings.log(component), 30));
                }
                if (brokerStarting && component.service()) {
                    continue;
                }
                if (ready(component)) {
                    out.println("  ✓ " + component.name() + " is ready");
                    pending.remove(component);
                }
            }
            if (!pending.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    Component late = pending.get(0);
                    throw new LauncherException(late.name() + " did not become ready within "
                            + settings.startTimeout().toSeconds() + " s (STUDIO_START_TIMEOUT). Last lines of "
                            + settings.log(late) + ":\n" + tail(settings.log(late), 30));
                }
                sleep(100);
            }
        }
    }

    // ---------------------------------------------------------------- stop

    /** Stops every component this launcher started; returns {@code false} when nothing ran. */
    public boolean stop() {
        // The services at once (each may write its class cache as it exits), then the broker they used.
        List<Component> services = reversed(settings.services());
        ExecutorService stopping = Executors.newFixedThreadPool(services.size());
        boolean any = false;
        try {
            List<Future<Boolean>> stops = new ArrayList<>();
            for (Component service : services) {
                stops.add(stopping.submit(() -> stop(service, false)));
            }
            for (Future<Boolean> stop : stops) {
                any |= stop.get();
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof LauncherException le
                    ? le
                    : new LauncherException(e.getCause().toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LauncherException("interrupted");
        } finally {
            stopping.shutdownNow();
        }
        if (settings.externalKafka().isEmpty()) {
            any |= stop(settings.kafka(), false);
        }
        if (!any) {
            out.println("SAGE Studio is not running; nothing to stop.");
        }
        return any;
    }

    private boolean stop(Component component, boolean quiet) {
        Path pidFile = settings.pidFile(component);
        Optional<PidRecord> record = PidRecord.read(pidFile);
        boolean stopped = false;
        if (record.isPresent()) {
            Optional<Path> cache = StartupCache.recording(record.get().command());
            boolean recording = cache.isPresent();
            if (!quiet && processes.alive(record.get().identity())) {
                out.println("Stopping " + component.name() + " (pid "
                        + record.get().pid() + ")" + (recording ? ", saving its start-up cache" : "") + " …");
            }
            // Also what the leader left behind in its group when the leader itself is gone.
            ProcessControl.Stop stop =
                    processes.stop(record.get().identity(), recording ? RECORDING_STOP_GRACE : STOP_GRACE);
            stopped = stop != ProcessControl.Stop.NOT_RUNNING && stop != ProcessControl.Stop.NOT_OURS;
            if (stop == ProcessControl.Stop.KILLED || stop == ProcessControl.Stop.SURVIVED) {
                cache.ifPresent(StartupCache::discard);
            }
        }
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException e) {
            throw new LauncherException("cannot remove " + pidFile + ": " + e.getMessage());
        }
        return stopped;
    }

    // ---------------------------------------------------------------- status

    public List<Status> status() {
        return List.copyOf(statusByComponent().values());
    }

    private Map<Component, Status> statusByComponent() {
        Map<Component, Status> result = new LinkedHashMap<>();
        if (settings.externalKafka().isPresent()) {
            boolean up = kafkaAnswers(settings.kafkaBootstrap());
            result.put(
                    settings.kafka(),
                    new Status(
                            settings.kafka(),
                            up ? State.EXTERNAL : State.UNREACHABLE,
                            null,
                            settings.kafkaBootstrap()));
        }
        for (Component component : settings.components()) {
            Optional<PidRecord> record =
                    PidRecord.read(settings.pidFile(component)).filter(r -> processes.alive(r.identity()));
            State state = record.isEmpty() ? State.DOWN : ready(component) ? State.RUNNING : State.STARTING;
            result.put(
                    component,
                    new Status(component, state, record.map(PidRecord::pid).orElse(null), component.url()));
        }
        return result;
    }

    public boolean allRunning() {
        return statusByComponent().values().stream()
                .allMatch(s -> s.state() == State.RUNNING || s.state() == State.EXTERNAL);
    }

    public void printStatus(Collection<Status> statuses) {
        out.printf("%-22s %-12s %-8s %s%n", "COMPONENT", "STATE", "PID", "URL");
        for (Status s : statuses) {
            out.printf(
                    "%-22s %-12s %-8s %s%n",
                    s.component().name(), s.state().label(), s.pid() == null ? "-" : s.pid(), s.url());
        }
    }

    /** The local OpenAI URL (the LLM port), where the original studio's scripts point their OpenAI clients. */
    public void printOpenAiUrl() {
        settings.openAiUrl()
                .ifPresent(url -> out.println("Local OpenAI API: " + url + " (" + LauncherSettings.LLM_PORT_VARIABLE
                        + "; also " + settings.gateway().url() + "/v1)"));
    }

    private boolean ready(Component component) {
        if (!component.service()) {
            return brokerLogStart >= 0
                    ? logSaysSince(settings.log(component), brokerLogStart, StandaloneBroker.READY)
                    : kafkaAnswers(settings.kafkaBootstrap());
        }
        try {
            HttpResponse<Void> response = http.send(
                    HttpRequest.newBuilder(URI.create(component.healthUrl()))
                            .timeout(Duration.ofSeconds(3))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.discarding());
            return response.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Whether {@code log} has a line starting with {@code marker} past its first {@code from} bytes. */
    static boolean logSaysSince(Path log, long from, String marker) {
        try (SeekableByteChannel channel = Files.newByteChannel(log)) {
            channel.position(from);
            BufferedReader lines = new BufferedReader(Channels.newReader(channel, StandardCharsets.UTF_8));
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.startsWith(marker)) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    /** Kafka answers and holds the studio topics. */
    static boolean kafkaAnswers(String bootstrap) {
        String first = bootstrap.split(",")[0].trim();
        int colon = first.lastIndexOf(':');
        if (colon > 0 && !Ports.listening(first.substring(0, colon), Integer.parseInt(first.substring(colon + 1)))) {
            return false;
        }
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
        try (Admin admin = Admin.create(props)) {
            Set<String> names = admin.listTopics().names().get(3, TimeUnit.SECONDS);
            return names.containsAll(
                    Topics.ALL.stream().map(Topics.TopicSpec::name).collect(Collectors.toSet()));
        } catch (Exception e) {
            return false;
        }
    }

    // ---------------------------------------------------------------- logs

    public Path logFile(String componentName) {
        Component component = settings.component(componentName)
                .orElseThrow(() -> new LauncherException("unknown component '" + componentName + "'; one of: "
                        + settings.components().stream().map(Component::name).collect(Collectors.joining(", "))));
        return settings.log(component);
    }

    public List<Path> logFiles() {
        return settings.components().stream()
                .map(settings::log)
                .filter(Files::exists)
                .toList();
    }

    static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LauncherException("interrupted");
        }
    }

    /**
     * Options for the services on newer JDKs: JNA (gpu-probe's NVML binding) loads native code, which JDK 22+ warns
     * about unless native access is granted; and the JVM gives the C heap's free memory back to the system every 5 s
     * ({@code TrimNativeHeapInterval}, a product option since JDK 22), 4-6 MiB of an idle service's resident memory
     * (bench/startup).
     */
    static List<String> runtimeOptions(JavaRuntime runtime) {
        return runtime.feature() >= 22
                ? List.of("--enable-native-access=ALL-UNNAMED", "-XX:TrimNativeHeapInterval=5000")
                : List.of();
    }

    private static <T> List<T> reversed(List<T> list) {
        List<T> copy = new ArrayList<>(list);
        Collections.reverse(copy);
        return copy;
    }
}
