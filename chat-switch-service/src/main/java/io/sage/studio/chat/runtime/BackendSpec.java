package io.sage.studio.chat.runtime;

import java.util.Map;

import io.sage.studio.chat.registry.ServableModel;

/**
 * What an engine is started with.
 *
 * @param id          the backend id (names the process log, the Deployment, ...)
 * @param modelPath   the model directory or base model id the engine loads
 * @param servedName  {@code --served-model-name}
 * @param loraEnabled start with {@code --enable-lora} (and runtime adapter loading)
 * @param maxLoraRank {@code --max-lora-rank}
 * @param adapters    LoRA adapters to load at start ({@code --lora-modules}, JSON form: {@link EngineArgs}), name → path
 * @param model       the model it was started to serve (so a restarted service can route to it), or {@code null}
 */
public record BackendSpec(
        String id,
        String modelPath,
        String servedName,
        boolean loraEnabled,
        int maxLoraRank,
        Map<String, String> adapters,
        ServableModel model) {

    public BackendSpec {
        adapters = Map.copyOf(adapters);
    }

    /** A spec that records no model (an engine nothing will be routed to by itself). */
    public BackendSpec(
            String id,
            String modelPath,
            String servedName,
            boolean loraEnabled,
            int maxLoraRank,
            Map<String, String> adapters) {
        this(id, modelPath, servedName, loraEnabled, maxLoraRank, adapters, null);
    }
}
