package io.sage.studio.cli.launcher;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Where the studio lives and which ports it uses, from the environment:
 * {@code STUDIO_HOME} (default {@code ~/.sage}), {@code KAFKA_BOOTSTRAP_SERVERS} (an existing cluster: no broker
 * is started), {@code STUDIO_GATEWAY_PORT} (8080), {@code STUDIO_FINETUNE_PORT} (8081), {@code STUDIO_CHAT_PORT}
 * (8082), {@code STUDIO_GPU_PORT} (8083), {@code STUDIO_KAFKA_PORT} (9092; the controller takes the next port),
 * {@code SAGE_STUDIO_LLM_PORT} (8001, the original studio's local model URL: the gateway serves the OpenAI API
 * there too, and model servers take other ports; {@code off}: no such listener), {@code STUDIO_CHAT_LOCAL_PORTS}
 * (the model servers' ports, default ten from 8002 up without the LLM port),
 * {@code STUDIO_JAVA_OPTS} (JVM options of the services), {@code STUDIO_START_TIMEOUT} (seconds, default 180),
 * {@code STUDIO_BUILD} ({@code auto}, the default: build missing and rebuild stale services; {@code never}: start
 * the jars as they are, e.g. while another build of the same checkout runs), {@code STUDIO_JAVA_HOME} (the JDK of
 * the services, see {@link JavaRuntime}), {@code STUDIO_STARTUP_CACHE} ({@code auto} or {@code off}) and
 * {@code STUDIO_STARTUP_CACHE_DIR} (see {@link StartupCache}).
 */
public record LauncherSettings(
        Path repo,
        Path home,
        Optional<String> externalKafka,
        Component kafka,
        Component gateway,
        Component finetune,
        Component chat,
        Component gpu,
        OptionalInt llmPort,
        String enginePorts,
        List<String> javaOptions,
        Duration startTimeout,
        boolean build,
        Map<String, String> environment) {

    public static LauncherSettings from(Map<String, String> env, Path repo) {
        Path home = Path.of(env.getOrDefault("STUDIO_HOME", System.getProperty("user.home") + "/.sage"))
                .toAbsolutePath()
                .normalize();
        Optional<String> external =
                Optional.ofNullable(env.get("KAFKA_BOOTSTRAP_SERVERS")).filter(s -> !s.isBlank());
        String javaOpts = env.getOrDefault("STUDIO_JAVA_OPTS", DEFAULT_JAVA_OPTS);
        OptionalInt llmPort = llmPort(env);
        return new LauncherSettings(
                repo,
                home,
                external,
                component(env, Component.KAFKA, null, "STUDIO_KAFKA_PORT", 9092),
                component(env, "gateway-adapter", "gateway-adapter", "STUDIO_GATEWAY_PORT", 8080),
                component(env, "finetune-service", "finetune-service", "STUDIO_FINETUNE_PORT", 8081),
                component(env, "chat-switch-service", "chat-switch-service", "STUDIO_CHAT_PORT", 8082),
                component(env, "gpu-probe-service", "gpu-probe-service", "STUDIO_GPU_PORT", 8083),
                llmPort,
                enginePorts(env, llmPort),
                javaOpts.isBlank() ? List.of() : List.of(javaOpts.trim().split("\\s+")),
                Duration.ofSeconds(Long.parseLong(env.getOrDefault("STUDIO_START_TIMEOUT", "180"))),
                build(env.getOrDefault("STUDIO_BUILD", "auto")),
                Map.copyOf(env));
    }

    /**
     * The services' and the broker's JIT threshold: 3x the JVM's default (measured: 1 starts slower and keeps more
     * code, 10 costs CPU at start-up).
     */
    static final String COMPILE_THRESHOLD_SCALING = "-XX:CompileThresholdScaling=3";

    /**
     * The services' JVM options on a developer's machine: a quick start (C1 only, serial GC) and a small footprint.
     * Without {@code -Xms} the JVM commits 1/64 of the machine's memory as heap at once (384 MiB on 24 GiB) and keeps
     * it; from 16 MiB the heap grows as needed and gives back what stays free after a collection.
     * {@link #COMPILE_THRESHOLD_SCALING} compiles a method once it has run three times as often as the JVM's default
     * would wait for: start-up code that runs a few hundred times is no longer compiled, which is CPU that four JVMs
     * and the broker share on a small machine, and code that stays in memory (see studio-cli's DESIGN, "Start-up").
     */
    static final String DEFAULT_JAVA_OPTS = "-Xms16m -Xmx384m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30"
            + " -XX:+UseSerialGC -XX:TieredStopAtLevel=1 " + COMPILE_THRESHOLD_SCALING;

    /** The variable of the gateway's stable local OpenAI port, as the original studio named it. */
    public static final String LLM_PORT_VARIABLE = "SAGE_STUDIO_LLM_PORT";

    /** Where engines start by default: after the LLM port, ten ports. */
    static final int FIRST_ENGINE_PORT = 8002;

    static final int ENGINE_PORTS = 10;

    private static OptionalInt llmPort(Map<String, String> env) {
        String value = env.get(LLM_PORT_VARIABLE);
        if (value != null && value.trim().equalsIgnoreCase("off")) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(port(env, LLM_PORT_VARIABLE, 8001));
    }

    /**
     * The model servers' ports ({@code studio.chat.local.ports}): the user's {@code STUDIO_CHAT_LOCAL_PORTS}, which
     * must leave the LLM port out, or ten ports from 8002 up without it.
     */
    static String enginePorts(Map<String, String> env, OptionalInt llmPort) {
        String own = env.get("STUDIO_CHAT_LOCAL_PORTS");
        if (own != null && !own.isBlank()) {
            if (llmPort.isPresent() && includes(own, llmPort.getAsInt())) {
                throw new LauncherException("STUDIO_CHAT_LOCAL_PORTS (" + own.trim() + ") includes the LLM port "
                        + llmPort.getAsInt() + " (" + LLM_PORT_VARIABLE + "), where the gateway serves the OpenAI "
                        + "API: leave it out of the model servers' ports or choose another " + LLM_PORT_VARIABLE);
            }
            return own.trim();
        }
        List<String> ranges = new ArrayList<>();
        int from = -1;
        int last = -1;
        int taken = 0;
        for (int port = FIRST_ENGINE_PORT; taken < ENGINE_PORTS && port <= 65535; port++) {
            if (llmPort.isPresent() && port == llmPort.getAsInt()) {
                continue;
            }
            if (from >= 0 && port != last + 1) {
                ranges.add(from == last ? Integer.toString(from) : from + "-" + last);
                from = -1;
            }
            if (from < 0) {
                from = port;
            }
            last = port;
            taken++;
        }
        ranges.add(from == last ? Integer.toString(from) : from + "-" + last);
        return String.join(",", ranges);
    }

    /** Whether a port list ({@code 8002-8011}, {@code 8001,8005}, a mix) includes {@code port}. */
    static boolean includes(String ports, int port) {
        for (String part : ports.split(",")) {
            String p = part.strip();
            int dash = p.indexOf('-');
            try {
                int from = Integer.parseInt(dash < 0 ? p : p.substring(0, dash).strip());
                int to =
                        dash < 0 ? from : Integer.parseInt(p.substring(dash + 1).strip());
                if (port >= from && port <= to) {
                    return true;
                }
            } catch (NumberFormatException e) {
                // not a port: the chat-switch-service refuses it at start
            }
        }
        return false;
    }

    /** The local OpenAI URL of the LLM port ({@code http://localhost:8001/v1}), empty when it is off. */
    public Optional<String> openAiUrl() {
        return llmPort.isPresent() ? Optional.of("http://localhost:" + llmPort.getAsInt() + "/v1") : Optional.empty();
    }

    private static boolean build(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "auto", "" -> true;
            case "never" -> false;
            default -> throw new LauncherException("STUDIO_BUILD must be auto or never, got '" + value + "'");
        };
    }

    private static Component component(
            Map<String, String> env, String name, String module, String portVariable, int defaultPort) {
        return new Component(name, module, port(env, portVariable, defaultPort), portVariable, module != null);
    }

    private static int port(Map<String, String> env, String name, int fallback) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            int port = Integer.parseInt(value.trim());
            if (port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new LauncherException(name + " must be a port number (1-65535), got '" + value + "'");
        }
    }

    /** Components in start order: the broker first (unless external), the gateway last. */
    public List<Component> components() {
        return externalKafka.isPresent()
                ? List.of(gpu, finetune, chat, gateway)
                : List.of(kafka, gpu, finetune, chat, gateway);
    }

    public List<Component> services() {
        return List.of(gpu, finetune, chat, gateway);
    }

    /**
     * The component a user names: its name, the short form ({@code finetune}, {@code chat}, {@code gpu},
     * {@code gateway}), a log file's name ({@code gateway-adapter.log}) or a log the original studio wrote
     * ({@link #SEED_LOGS}).
     */
    public Optional<Component> component(String name) {
        String wanted = unalias(name);
        return components().stream()
                .filter(c -> c.name().equals(wanted) || c.name().startsWith(wanted + "-"))
                .findFirst();
    }

    /**
     * The original studio's log files (its troubleshooting table) and the component whose log holds what they held:
     * {@code ~/.sage/studio/chat/gateway.log}, {@code ~/.sage/studio/finetune_api.log}.
     */
    public static final Map<String, String> SEED_LOGS = Map.of(
            "gateway", "gateway-adapter",
            "finetune_api", "finetune-service",
            "finetune-api", "finetune-service");

    /** {@code ~/.sage/studio/chat/gateway.log} → {@code gateway-adapter}; other names as they are. */
    static String unalias(String name) {
        String bare = name.trim();
        bare = bare.substring(bare.lastIndexOf('/') + 1);
        if (bare.endsWith(".log")) {
            bare = bare.substring(0, bare.length() - ".log".length());
        }
        return SEED_LOGS.getOrDefault(bare, bare);
    }

    public String kafkaBootstrap() {
        return externalKafka.orElse("127.0.0.1:" + kafka.port());
    }

    public int kafkaControllerPort() {
        return kafka.port() + 1;
    }

    public Path studioDir() {
        return home.resolve("studio");
    }

    public Path logsDir() {
        return studioDir().resolve("logs");
    }

    public Path runDir() {
        return studioDir().resolve("run");
    }

    /** The services' class caches ({@code STUDIO_STARTUP_CACHE}, {@code STUDIO_STARTUP_CACHE_DIR}). */
    public StartupCache startupCache() {
        String dir = environment.get("STUDIO_STARTUP_CACHE_DIR");
        return new StartupCache(
                dir == null || dir.isBlank()
                        ? home.resolve("studio").resolve("jvm-cache")
                        : Path.of(dir.trim()).toAbsolutePath().normalize(),
                StartupCache.parseEnabled(environment.get("STUDIO_STARTUP_CACHE")));
    }

    /** The JDK the services run on ({@code STUDIO_JAVA_HOME}, else the newest JDK 25+ found, else this one). */
    public JavaRuntime javaRuntime() {
        return JavaRuntime.choose(environment, Path.of(System.getProperty("java.home")), JavaRuntime.JDK_DIRS);
    }

    public Path kafkaDir() {
        return studioDir().resolve("kafka");
    }

    public Path log(Component component) {
        return logsDir().resolve(component.name() + ".log");
    }

    public Path pidFile(Component component) {
        return runDir().resolve(component.name() + ".pid");
    }

    /** The launcher's own classpath, which holds the broker ({@code target/lib/*} beside the CLI jar). */
    public String cliClasspath() {
        return cliFiles().get(0) + ":" + cliFiles().get(1) + "/*";
    }

    /** The CLI's jar and the folder of its libraries: the classpath of the broker. */
    public List<Path> cliFiles() {
        return List.of(repo.resolve("studio-cli/target/sage-cli.jar"), repo.resolve("studio-cli/target/lib"));
    }

    /** The default trainer: the project's Python trainer. */
    public Path defaultTrainer() {
        return repo.resolve("trainer/bin/sage-trainer");
    }
}
