package io.sage.studio.cli.launcher;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Where the studio lives and which ports it uses, from the environment:
 * {@code STUDIO_HOME} (default {@code ~/.sage}), {@code KAFKA_BOOTSTRAP_SERVERS} (an existing cluster: no broker
 * is started), {@code STUDIO_GATEWAY_PORT} (8080), {@code STUDIO_FINETUNE_PORT} (8081), {@code STUDIO_CHAT_PORT}
 * (8082), {@code STUDIO_GPU_PORT} (8083), {@code STUDIO_KAFKA_PORT} (9092; the controller takes the next port),
 * {@code STUDIO_JAVA_OPTS} (JVM options of the services), {@code STUDIO_START_TIMEOUT} (seconds, default 180),
 * {@code STUDIO_BUILD} ({@code auto}, the default: build missing and rebuild stale services; {@code never}: start
 * the jars as they are, e.g. while another build of the same checkout runs).
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
        String javaOpts = env.getOrDefault("STUDIO_JAVA_OPTS", "-Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
        return new LauncherSettings(
                repo,
                home,
                external,
                component(env, Component.KAFKA, null, "STUDIO_KAFKA_PORT", 9092),
                component(env, "gateway-adapter", "gateway-adapter", "STUDIO_GATEWAY_PORT", 8080),
                component(env, "finetune-service", "finetune-service", "STUDIO_FINETUNE_PORT", 8081),
                component(env, "chat-switch-service", "chat-switch-service", "STUDIO_CHAT_PORT", 8082),
                component(env, "gpu-probe-service", "gpu-probe-service", "STUDIO_GPU_PORT", 8083),
                javaOpts.isBlank() ? List.of() : List.of(javaOpts.trim().split("\\s+")),
                Duration.ofSeconds(Long.parseLong(env.getOrDefault("STUDIO_START_TIMEOUT", "180"))),
                build(env.getOrDefault("STUDIO_BUILD", "auto")),
                Map.copyOf(env));
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

    public Optional<Component> component(String name) {
        return components().stream()
                .filter(c -> c.name().equals(name) || c.name().startsWith(name + "-"))
                .findFirst();
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
        Path jar = repo.resolve("studio-cli/target/sage-cli.jar");
        return jar + ":" + repo.resolve("studio-cli/target/lib") + "/*";
    }

    /** The default trainer: the project's Python trainer. */
    public Path defaultTrainer() {
        return repo.resolve("trainer/bin/sage-trainer");
    }
}
