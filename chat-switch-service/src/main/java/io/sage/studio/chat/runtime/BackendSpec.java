package io.sage.studio.chat.runtime;

import java.util.List;
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
 * @param tensorParallelSize {@code --tensor-parallel-size}: the GPUs the engine shards the model over (1 without
 *                    tensor parallelism; a spec recorded before issue 21 reads as 1)
 * @param gpus        the local runtime's GPU indices on this node for the engine ({@code CUDA_VISIBLE_DEVICES});
 *                    empty when unknown (no telemetry) or on Kubernetes, where the pod requests its GPUs
 */
public record BackendSpec(
        String id,
        String modelPath,
        String servedName,
        boolean loraEnabled,
        int maxLoraRank,
        Map<String, String> adapters,
        ServableModel model,
        int tensorParallelSize,
        List<Integer> gpus) {

    public BackendSpec {
        adapters = Map.copyOf(adapters);
        tensorParallelSize = Math.max(1, tensorParallelSize);
        gpus = gpus == null ? List.of() : List.copyOf(gpus);
    }

    /** An engine on one GPU, wherever the runtime puts it. */
    public BackendSpec(
            String id,
            String modelPath,
            String servedName,
            boolean loraEnabled,
            int maxLoraRank,
            Map<String, String> adapters,
            ServableModel model) {
        this(id, modelPath, servedName, loraEnabled, maxLoraRank, adapters, model, 1, List.of());
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

    /** This spec sharded over {@code size} GPUs, on {@code gpuIndices} of this node when known. */
    public BackendSpec withTensorParallel(int size, List<Integer> gpuIndices) {
        return new BackendSpec(id, modelPath, servedName, loraEnabled, maxLoraRank, adapters, model, size, gpuIndices);
    }
}
