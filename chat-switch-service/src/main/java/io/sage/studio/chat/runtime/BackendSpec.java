package io.sage.studio.chat.runtime;

import java.util.Map;

/**
 * What an engine is started with.
 *
 * @param id          the backend id (names the process log, the Deployment, ...)
 * @param modelPath   the model directory or base model id the engine loads
 * @param servedName  {@code --served-model-name}
 * @param loraEnabled start with {@code --enable-lora} (and runtime adapter loading)
 * @param maxLoraRank {@code --max-lora-rank}
 * @param adapters    LoRA adapters to load at start ({@code --lora-modules name=path}), name → path
 */
public record BackendSpec(String id, String modelPath, String servedName, boolean loraEnabled, int maxLoraRank,
        Map<String, String> adapters) {

    public BackendSpec {
        adapters = Map.copyOf(adapters);
    }
}
