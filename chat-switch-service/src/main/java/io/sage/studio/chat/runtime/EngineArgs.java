package io.sage.studio.chat.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.events.StudioJson;

/**
 * The vLLM arguments of a LoRA engine, built once for both runtimes (local command line and the Kubernetes container's
 * args) so they never disagree. vLLM's rules (v0.11, chat-switch DESIGN.md "vLLM's rules"): {@code --max-lora-rank}
 * is one of {@link #LORA_RANKS} (other values: vLLM exits at start); {@code --max-cpu-loras} ≥ {@code --max-loras};
 * {@code --lora-modules} in its JSON form, one JSON object per adapter, so a path with {@code =} or {@code ,} stays
 * whole (the old {@code name=path} form breaks on both).
 */
public final class EngineArgs {

    /** The values vLLM v0.11 accepts for {@code --max-lora-rank} ({@code vllm/config/lora.py}, {@code MaxLoRARanks}). */
    public static final List<Integer> LORA_RANKS = List.of(8, 16, 32, 64, 128, 256, 320, 512);

    /** The largest LoRA rank vLLM serves. */
    public static final int MAX_LORA_RANK = 512;

    private EngineArgs() {}

    /** The smallest {@code --max-lora-rank} vLLM accepts that serves an adapter of rank {@code rank}; empty above 512. */
    public static OptionalInt maxLoraRankFor(int rank) {
        for (int allowed : LORA_RANKS) {
            if (allowed >= rank) {
                return OptionalInt.of(allowed);
            }
        }
        return OptionalInt.empty();
    }

    /**
     * {@code --enable-lora} and what goes with it, or nothing for an engine without LoRA: the rank rounded up to an
     * allowed value (a spec recorded before the rounding existed is rounded here too; above 512 it is 512 and the
     * engine refuses the adapter, which the planner never lets happen), {@code --max-loras}, {@code --max-cpu-loras}
     * and the preloaded adapters.
     */
    public static List<String> lora(BackendSpec spec, ChatConfig.Engine engine) {
        if (!spec.loraEnabled()) {
            return List.of();
        }
        List<String> args = new ArrayList<>();
        args.add("--enable-lora");
        args.add("--max-lora-rank");
        args.add(Integer.toString(maxLoraRankFor(spec.maxLoraRank()).orElse(MAX_LORA_RANK)));
        args.add("--max-loras");
        args.add(Integer.toString(engine.maxLoras()));
        args.add("--max-cpu-loras");
        args.add(Integer.toString(Math.max(engine.maxCpuLoras(), engine.maxLoras())));
        if (!spec.adapters().isEmpty()) {
            args.add("--lora-modules");
            spec.adapters().entrySet().stream()
                    .sorted(Map.Entry.comparingByKey())
                    .forEach(a -> args.add(loraModule(a.getKey(), a.getValue(), spec.servedName())));
        }
        return args;
    }

    /**
     * {@code --tensor-parallel-size N} for an engine sharded over N GPUs, nothing for one (vLLM's default). vLLM's
     * rules for N (v0.11): the model's attention heads divisible by it, no more GPUs than the engine sees; the
     * planner keeps N a power of two within the node's GPUs ({@code GpuCapacity}).
     */
    public static List<String> tensorParallel(BackendSpec spec) {
        if (spec.tensorParallelSize() <= 1) {
            return List.of();
        }
        return List.of("--tensor-parallel-size", Integer.toString(spec.tensorParallelSize()));
    }

    /** One {@code --lora-modules} value in vLLM's JSON form: {@code {"name", "path", "base_model_name"}}. */
    static String loraModule(String name, String path, String baseModelName) {
        Map<String, String> module = new LinkedHashMap<>();
        module.put("name", name);
        module.put("path", path);
        module.put("base_model_name", baseModelName);
        try {
            return StudioJson.mapper().writeValueAsString(module);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
