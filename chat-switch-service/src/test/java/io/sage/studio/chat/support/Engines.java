package io.sage.studio.chat.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/** The stand-in vLLM ({@code testing/fake-vllm/fake_vllm.py}) and model directories for it. */
public final class Engines {

    public static final String BASE_A = "Qwen/Qwen2.5-0.5B-Instruct";
    public static final String BASE_B = "Qwen/Qwen2.5-1.5B-Instruct";

    private Engines() {
    }

    public static Path fakeVllm() {
        Path script = Path.of("..", "testing", "fake-vllm", "fake_vllm.py").toAbsolutePath().normalize();
        if (!Files.isRegularFile(script)) {
            throw new IllegalStateException("the stand-in vLLM is missing: " + script);
        }
        return script;
    }

    /** The local engine command template running the stand-in. */
    public static String commandTemplate() {
        return "python3 " + fakeVllm() + " serve {model} --host 127.0.0.1 --port {port} --served-model-name {name}";
    }

    /** Ten consecutive free ports, so that parallel builds on this machine do not collide on 8001-8010. */
    public static String freePortRange() {
        for (int attempt = 0; attempt < 50; attempt++) {
            int start = ThreadLocalRandom.current().nextInt(20000, 40000);
            boolean free = true;
            for (int p = start; p < start + 10 && free; p++) {
                free = isFree(p);
            }
            if (free) {
                return start + "-" + (start + 9);
            }
        }
        throw new IllegalStateException("no ten free ports in a row");
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A full model directory (what a merge writes): {@code config.json}, optionally the stand-in's behaviour file. */
    public static Path modelDir(Path dir, String fakeBehaviourJson) {
        write(dir.resolve("config.json"), "{\"architectures\": [\"Qwen2ForCausalLM\"], \"hidden_size\": 896}");
        if (fakeBehaviourJson != null) {
            write(dir.resolve("fake_vllm.json"), fakeBehaviourJson);
        }
        return dir;
    }

    /** A PEFT LoRA adapter directory. */
    public static Path adapterDir(Path dir, int rank, String baseModel) {
        write(dir.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": " + rank + ", \"lora_alpha\": " + (2 * rank)
                + ", \"base_model_name_or_path\": \"" + baseModel + "\", \"target_modules\": [\"q_proj\", \"v_proj\"]}");
        return dir;
    }

    private static void write(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the stand-in directly (not through the service), in its own session like the service does. */
    public static Process start(Path log, List<String> args, Map<String, String> env) {
        try {
            List<String> command = new ArrayList<>(List.of("/usr/bin/setsid", "python3", fakeVllm().toString(), "serve"));
            command.addAll(args);
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().putAll(env);
            return builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
