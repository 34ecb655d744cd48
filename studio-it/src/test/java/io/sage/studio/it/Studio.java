package io.sage.studio.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.sage.studio.testkit.FreePorts;

/**
 * A studio started by the real {@code ./sage} launcher in its own studio home and on its own free ports,
 * with the stand-in trainer and model server, for end-to-end tests. It never reaches the user's studio: the
 * runs get an explicit home and ports, and no {@code STUDIO_*}, {@code SAGE_*}, {@code QUARKUS_*} or
 * {@code KAFKA_*} variable of the shell that started the tests. The packaged jars are started as they are
 * ({@code STUDIO_BUILD=never}): the tests never build a module.
 */
final class Studio implements AutoCloseable {

    static final Path REPO =
            Path.of(System.getProperty("sage.repo", "..")).toAbsolutePath().normalize();

    final Path home;
    final int gatewayPort;
    final int finetunePort;
    final int chatPort;
    final int gpuPort;
    final int kafkaPort;
    /** The gateway's stable local OpenAI port ({@code SAGE_STUDIO_LLM_PORT}): a free one, never the default 8001. */
    final int llmPort;

    final Map<String, String> env = new HashMap<>();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    Studio(Path home) {
        this.home = home;
        int base = FreePorts.block(9);
        this.gatewayPort = base;
        this.finetunePort = base + 1;
        this.chatPort = base + 2;
        this.gpuPort = base + 3;
        this.kafkaPort = base + 4; // the controller takes base + 5
        this.llmPort = base + 8; // engines take base + 6 and base + 7
        env.put("STUDIO_HOME", home.toString());
        env.put("STUDIO_BUILD", "never");
        // One class cache for every test's studio (the launcher keys it by build and JDK): the first start records
        // it, the others start from it, as a user's second start does.
        env.put(
                "STUDIO_STARTUP_CACHE_DIR",
                REPO.resolve("studio-it/target/jvm-cache").toString());
        env.put("STUDIO_GATEWAY_PORT", Integer.toString(gatewayPort));
        env.put("STUDIO_FINETUNE_PORT", Integer.toString(finetunePort));
        env.put("STUDIO_CHAT_PORT", Integer.toString(chatPort));
        env.put("STUDIO_GPU_PORT", Integer.toString(gpuPort));
        env.put("STUDIO_KAFKA_PORT", Integer.toString(kafkaPort));
        env.put("STUDIO_CHAT_LOCAL_PORTS", (base + 6) + "-" + (base + 7));
        env.put("SAGE_STUDIO_LLM_PORT", Integer.toString(llmPort));
        env.put(
                "STUDIO_FINETUNE_LOCAL_TRAINER_COMMAND",
                "python3 " + REPO.resolve("testing/fake-trainer/fake_trainer.py"));
        env.put(
                "STUDIO_CHAT_LOCAL_COMMAND",
                "python3 " + REPO.resolve("testing/fake-vllm/fake_vllm.py")
                        + " serve {model} --host 127.0.0.1 --port {port} --served-model-name {name}");
        env.put("SAGE_STUDIO_URL", "http://127.0.0.1:" + gatewayPort);
    }

    /** The result of one {@code ./sage} run: exit code, standard output, standard error. */
    record Run(int exitCode, String stdout, String stderr) {
        /** Both streams, for messages that may go to either. */
        String output() {
            return stdout + stderr;
        }
    }

    Run sage(String... args) {
        return sage(Duration.ofMinutes(10), args);
    }

    Run sage(Duration timeout, String... args) {
        List<String> command = new ArrayList<>();
        command.add(REPO.resolve("sage").toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(REPO.toFile());
        builder.environment().keySet().removeIf(Studio::studioVariable);
        builder.environment().putAll(env);
        try {
            Path out = Files.createTempFile("sage-run", ".out");
            Path err = Files.createTempFile("sage-run", ".err");
            builder.redirectOutput(out.toFile()).redirectError(err.toFile());
            Process process = builder.start();
            if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("./sage " + String.join(" ", args) + " did not finish in " + timeout + ":\n"
                        + Files.readString(out, StandardCharsets.UTF_8)
                        + Files.readString(err, StandardCharsets.UTF_8));
            }
            Run run = new Run(
                    process.exitValue(),
                    Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            return run;
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A variable of the test's own shell that would point a run at another studio or change its services. */
    static boolean studioVariable(String name) {
        return name.startsWith("STUDIO_")
                || name.startsWith("SAGE_")
                || name.startsWith("QUARKUS_")
                || name.startsWith("KAFKA_")
                || name.startsWith("FAKE_")
                || name.startsWith("VLLM_");
    }

    /** The ports the stand-in model servers get ({@code STUDIO_CHAT_LOCAL_PORTS}). */
    List<Integer> enginePorts() {
        return List.of(gatewayPort + 6, gatewayPort + 7);
    }

    List<Integer> ports() {
        return List.of(gatewayPort, finetunePort, chatPort, gpuPort, kafkaPort, kafkaPort + 1, llmPort);
    }

    HttpResponse<String> get(int port, String path) {
        try {
            return http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                            .timeout(Duration.ofSeconds(10))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError("GET :" + port + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 300);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether the process runs (a zombie waiting for its reaper does not count). */
    static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException e) {
            return false;
        }
    }

    long pid(String component) {
        try {
            for (String line : Files.readAllLines(home.resolve("studio/run/" + component + ".pid"))) {
                if (line.startsWith("pid=")) {
                    return Long.parseLong(line.substring(4).trim());
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    String log(String component) {
        try {
            return Files.readString(home.resolve("studio/logs/" + component + ".log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    @Override
    public void close() {
        sage(Duration.ofMinutes(2), "studio", "stop");
    }
}
