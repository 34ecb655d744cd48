package io.sage.studio.chat.support;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.awaitility.Awaitility;

import io.sage.studio.chat.registry.ServableModel;
import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.chat.runtime.BackendSpec;

/**
 * Pieces of what a chat-switch service leaves behind when it stops, set up before the next one starts (the restart
 * and re-adoption environments): engines still running as it started them, and their records in its state file.
 */
public final class LeftBehind {

    private LeftBehind() {}

    /**
     * An engine the service started earlier: the stand-in vLLM serving {@code model} under its own name on
     * {@code port} with the engines' {@code key}, runtime LoRA loading on when {@code lora}, its output in
     * {@code studio/chat/<id>.log} of {@code home}; returns once it answers {@code /health}.
     */
    public static Process engine(Path home, String id, String model, int port, boolean lora, String key) {
        List<String> args = new ArrayList<>(
                List.of(model, "--host", "127.0.0.1", "--port", Integer.toString(port), "--served-model-name", model));
        if (lora) {
            args.addAll(List.of("--enable-lora", "--max-lora-rank", "64"));
        }
        Process process = Engines.start(
                log(home, id),
                args,
                lora
                        ? Map.of("VLLM_ALLOW_RUNTIME_LORA_UPDATING", "True", "VLLM_API_KEY", key)
                        : Map.of("VLLM_API_KEY", key));
        Awaitility.await()
                .atMost(Duration.ofSeconds(20))
                .until(() -> Engines.status("http://127.0.0.1:" + port, "/health", null) == 200);
        return process;
    }

    /** A base model as the service resolves a catalogue id. */
    public static ServableModel base(String model) {
        return new ServableModel(
                model,
                model,
                ServableModel.KIND_BASE,
                ServableModel.Artifact.BASE,
                model,
                null,
                model,
                null,
                null,
                model);
    }

    /** The state file's record of a ready local engine: {@code process} on {@code port}, holding {@code adapters}. */
    public static Backend backend(
            Path home, String id, Process process, int port, BackendSpec spec, Map<String, String> adapters) {
        return new Backend(
                id,
                "local",
                spec,
                "http://127.0.0.1:" + port,
                port,
                process.pid(),
                process.info().startInstant().orElseThrow(),
                null,
                log(home, id).toString(),
                adapters,
                Backend.State.READY,
                Instant.now());
    }

    private static Path log(Path home, String id) {
        return home.resolve("studio/chat/" + id + ".log");
    }
}
