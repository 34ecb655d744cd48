package io.sage.studio.chat.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.restassured.path.json.JsonPath;
import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.testkit.FreePorts;

/** The stand-in vLLM ({@code testing/fake-vllm/fake_vllm.py}) and model directories for it. */
public final class Engines {

    public static final String BASE_A = "Qwen/Qwen2.5-0.5B-Instruct";
    public static final String BASE_B = "Qwen/Qwen2.5-1.5B-Instruct";
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private Engines() {}

    public static Path fakeVllm() {
        Path script = Path.of("..", "testing", "fake-vllm", "fake_vllm.py")
                .toAbsolutePath()
                .normalize();
        if (!Files.isRegularFile(script)) {
            throw new IllegalStateException("the stand-in vLLM is missing: " + script);
        }
        return script;
    }

    /** The local engine command template running the stand-in. */
    public static String commandTemplate() {
        return "python3 " + fakeVllm() + " serve {model} --host {host} --port {port} --served-model-name {name}";
    }

    /** The engines' API key the service generated in {@code home} ({@code studio/chat/engine-api-key}). */
    public static String apiKey(Path home) {
        try {
            return Files.readString(home.resolve("studio/chat/engine-api-key"), StandardCharsets.UTF_8)
                    .strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the engines' API key a previous run of the service left in {@code home}. */
    public static String writeApiKey(Path home, String key) {
        try {
            AtomicFiles.writePrivate(home.resolve("studio/chat/engine-api-key"), key.getBytes(StandardCharsets.UTF_8));
            return key;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A chat completion with {@code model} at an engine, with its API key; answers the body (status 200 asserted). */
    public static String chat(String baseUrl, String model, String apiKey) {
        try {
            HttpResponse<String> response = HTTP.send(
                    HttpRequest.newBuilder(URI.create(baseUrl + "/v1/chat/completions"))
                            .header("Content-Type", "application/json")
                            .header("Authorization", "Bearer " + apiKey)
                            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model
                                    + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new AssertionError("chat with " + model + " at " + baseUrl + ": HTTP " + response.statusCode()
                        + " " + response.body());
            }
            return response.body();
        } catch (IOException e) {
            throw new AssertionError("chat with " + model + " at " + baseUrl + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The ids an engine lists at {@code /v1/models} (empty when it does not answer 200). */
    public static List<String> models(String baseUrl, String apiKey) {
        try {
            HttpResponse<String> response = HTTP.send(
                    HttpRequest.newBuilder(URI.create(baseUrl + "/v1/models"))
                            .header("Authorization", "Bearer " + apiKey)
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200
                    ? JsonPath.from(response.body()).getList("data.id", String.class)
                    : List.of();
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    /** GET {@code path} at an engine with an optional API key; the status. */
    public static int status(String baseUrl, String path, String apiKey) {
        try {
            HttpRequest.Builder request =
                    HttpRequest.newBuilder(URI.create(baseUrl + path)).GET();
            if (apiKey != null) {
                request.header("Authorization", "Bearer " + apiKey);
            }
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * Ten consecutive free ports outside the kernel's ephemeral range ({@link FreePorts}), so that parallel builds on
     * this machine do not collide on 8002-8011 and no outgoing connection takes one before an engine binds it.
     */
    public static String freePortRange() {
        int start = FreePorts.block(10);
        return start + "-" + (start + 9);
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
        write(
                dir.resolve("adapter_config.json"),
                "{\"peft_type\": \"LORA\", \"r\": " + rank + ", \"lora_alpha\": " + (2 * rank)
                        + ", \"base_model_name_or_path\": \"" + baseModel
                        + "\", \"target_modules\": [\"q_proj\", \"v_proj\"]}");
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
            List<String> command = new ArrayList<>(
                    List.of("/usr/bin/setsid", "python3", fakeVllm().toString(), "serve"));
            command.addAll(args);
            ProcessBuilder builder =
                    new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().putAll(env);
            return builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
