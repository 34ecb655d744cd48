package io.sage.studio.chat.switching;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import jakarta.enterprise.context.ApplicationScoped;

import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.messaging.GpuTelemetry;
import io.sage.studio.chat.registry.ServableModel;
import io.sage.studio.common.models.BaseModelCatalog;
import io.sage.studio.events.GpuTelemetryEvent;

/**
 * Decides whether a second engine fits beside the running one (blue-green) or the old one must go first
 * (recreate): from {@code max-concurrent-backends} when set, else from the free memory GPU telemetry reports
 * against an estimate of the new engine's footprint.
 *
 * <p>The estimate follows vLLM: an engine takes {@code --gpu-memory-utilization} of the GPU's total memory
 * (0.9 unless configured) for weights and KV cache, and never less than its weights plus a margin.
 */
@ApplicationScoped
public class GpuCapacity {

    static final double VLLM_DEFAULT_UTILIZATION = 0.9;
    private static final long GIB = 1L << 30;
    private static final List<String> WEIGHT_SUFFIXES = List.of(".safetensors", ".bin", ".pt", ".pth", ".gguf");

    private final ChatConfig config;
    private final GpuTelemetry telemetry;
    private final BaseModelCatalog catalog;
    private final String node;

    public GpuCapacity(ChatConfig config, GpuTelemetry telemetry, BaseModelCatalog catalog) {
        this.config = config;
        this.telemetry = telemetry;
        this.catalog = catalog;
        this.node = config.node().orElseGet(GpuCapacity::hostName);
    }

    /** Whether the new engine fits beside the running one, and why. */
    public record Decision(boolean fitsTwo, String reason) {}

    public Decision secondEngineFits(ServableModel target) {
        Optional<Integer> max = config.maxConcurrentBackends();
        if (max.isPresent()) {
            return new Decision(max.get() >= 2, "studio.chat.max-concurrent-backends=" + max.get());
        }
        List<GpuTelemetryEvent> gpus = relevantGpus();
        if (gpus.isEmpty()) {
            return new Decision(true, "no GPU telemetry for this node; assuming room for a second engine");
        }
        GpuTelemetryEvent best = gpus.stream()
                .max(Comparator.comparingLong(GpuTelemetryEvent::memoryFreeBytes))
                .orElseThrow();
        long needed = footprint(target, best.memoryTotalBytes());
        boolean fits = best.memoryFreeBytes() >= needed;
        return new Decision(
                fits,
                String.format(
                        Locale.ROOT,
                        "GPU %d (%s) on %s has %.1f GiB free; the new engine needs about %.1f GiB",
                        best.index(),
                        best.name(),
                        best.node(),
                        best.memoryFreeBytes() / (double) GIB,
                        needed / (double) GIB));
    }

    /**
     * Whether one more engine (for a model served by name) fits, and the figures behind it.
     *
     * @param fits        whether it fits
     * @param reason      a sentence that says why
     * @param neededBytes the new engine's estimated footprint on the GPU with the most free memory (0 when no telemetry
     *                    or {@code max-concurrent-backends} decides)
     * @param gpus        the GPUs looked at: {@code node, index, uuid, name, free_bytes, total_bytes, needed_bytes}
     */
    public record Room(boolean fits, String reason, long neededBytes, List<Map<String, Object>> gpus) {}

    /** Whether an engine for {@code target} fits beside the {@code running} engines. */
    public Room newEngineFits(ServableModel target, int running) {
        Optional<Integer> max = config.maxConcurrentBackends();
        if (max.isPresent()) {
            return new Room(
                    running + 1 <= max.get(),
                    running + " engines run and studio.chat.max-concurrent-backends=" + max.get(),
                    0,
                    List.of());
        }
        List<GpuTelemetryEvent> gpus = relevantGpus();
        if (gpus.isEmpty()) {
            return new Room(true, "no GPU telemetry for this node; assuming room for another engine", 0, List.of());
        }
        List<Map<String, Object>> seen = new ArrayList<>();
        boolean fits = false;
        for (GpuTelemetryEvent gpu : gpus) {
            long needed = footprint(target, gpu.memoryTotalBytes());
            fits |= gpu.memoryFreeBytes() >= needed;
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("node", gpu.node());
            row.put("index", gpu.index());
            row.put("uuid", gpu.uuid());
            row.put("name", gpu.name());
            row.put("free_bytes", gpu.memoryFreeBytes());
            row.put("total_bytes", gpu.memoryTotalBytes());
            row.put("needed_bytes", needed);
            seen.add(row);
        }
        GpuTelemetryEvent best = gpus.stream()
                .max(Comparator.comparingLong(GpuTelemetryEvent::memoryFreeBytes))
                .orElseThrow();
        long needed = footprint(target, best.memoryTotalBytes());
        return new Room(
                fits,
                String.format(
                        Locale.ROOT,
                        "the GPU with the most free memory, %d (%s) on %s, has %.1f GiB free; a new engine needs"
                                + " about %.1f GiB",
                        best.index(),
                        best.name(),
                        best.node(),
                        best.memoryFreeBytes() / (double) GIB,
                        needed / (double) GIB),
                needed,
                seen);
    }

    /** Bytes of GPU memory an engine for {@code model} takes on a GPU of {@code gpuTotal} bytes. */
    long footprint(ServableModel model, long gpuTotal) {
        Optional<Long> fixed = config.memory().servingBytes();
        if (fixed.isPresent()) {
            return fixed.get();
        }
        double utilization = config.memory().gpuMemoryUtilization().orElse(VLLM_DEFAULT_UTILIZATION);
        long weights = weightBytes(model.enginePath());
        return Math.max((long) (weights * 1.2) + GIB, (long) (utilization * gpuTotal));
    }

    private long weightBytes(String enginePath) {
        Path dir = Path.of(enginePath);
        if (enginePath.startsWith("/") && Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.walk(dir, 2)) {
                return files.filter(Files::isRegularFile)
                        .filter(f -> WEIGHT_SUFFIXES.stream()
                                .anyMatch(s -> f.getFileName().toString().endsWith(s)))
                        .mapToLong(f -> {
                            try {
                                return Files.size(f);
                            } catch (IOException e) {
                                return 0;
                            }
                        })
                        .sum();
            } catch (IOException e) {
                return 0;
            }
        }
        return catalog.find(enginePath).map(m -> m.params() * 2).orElse(0L);
    }

    /** GPUs of this node for local engines; every node's for Kubernetes, where the scheduler picks one. */
    private List<GpuTelemetryEvent> relevantGpus() {
        List<GpuTelemetryEvent> all = telemetry.gpus();
        if (config.runtime() == ChatConfig.RuntimeKind.KUBERNETES) {
            return all;
        }
        return all.stream().filter(g -> node.equals(g.node())).toList();
    }

    private static String hostName() {
        String env = System.getenv("NODE_NAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
