package io.sage.studio.chat.switching;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
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
import io.sage.studio.common.error.StudioException;
import io.sage.studio.common.models.BaseModel;
import io.sage.studio.common.models.BaseModelCatalog;
import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.events.StudioJson;

/**
 * Decides whether a second engine fits beside the running one (blue-green) or the old one must go first
 * (recreate): from {@code max-concurrent-backends} when set, else from the free memory GPU telemetry reports
 * against an estimate of the new engine's footprint.
 *
 * <p>The estimate follows vLLM: an engine takes {@code --gpu-memory-utilization} of the GPU's total memory
 * (0.9 unless configured) for weights and KV cache, and never less than its weights plus a margin.
 *
 * <p>Also sizes tensor parallelism ({@link #tensorParallel}): the smallest power of two of GPUs whose share of the
 * weights fits that budget, within the node's GPUs and dividing the model's attention heads (vLLM refuses anything
 * else), and for local engines which GPUs of this node the engine gets.
 */
@ApplicationScoped
public class GpuCapacity {

    static final double VLLM_DEFAULT_UTILIZATION = 0.9;
    /** The largest {@code tensor_parallel_size} accepted without telemetry to check it against (a 64-GPU node). */
    static final int MAX_TENSOR_PARALLEL = 64;
    /** The field a tensor-parallel override comes in, named by its 400s. */
    static final String TP_FIELD = "tensor_parallel_size";

    private static final long MAX_CONFIG_BYTES = 1L << 20;
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

    /**
     * How many GPUs a new engine shards {@code model} over, which GPUs of this node it gets (local runtime; empty
     * without telemetry and on Kubernetes) and why.
     */
    public record TensorPlan(int size, List<Integer> gpus, String reason) {

        public TensorPlan {
            gpus = List.copyOf(gpus);
        }
    }

    /**
     * The tensor-parallel size for a new engine of {@code model}: {@code override} when given (400 {@code
     * invalid_field} on {@code tensor_parallel_size} unless a power of two, within the GPUs of the node and dividing
     * the model's attention heads where those are known), else the smallest power of two N whose share of the weights
     * fits one GPU's budget ({@code weights × 1.2 / N + 1 GiB ≤ utilization × the node's smallest GPU}, the footprint
     * rule above per GPU), capped by the node's GPUs. Local engines get the N GPUs of this node that no running engine
     * holds ({@code held}) with the most free memory first, then the others.
     */
    public TensorPlan tensorParallel(ServableModel model, Integer override, Collection<Integer> held) {
        List<GpuTelemetryEvent> node = nodeGpus();
        Integer heads = attentionHeads(model.enginePath());
        int size;
        String reason;
        if (override != null) {
            validate(override, node, heads);
            size = override;
            reason = "tensor_parallel_size " + size + " as requested";
        } else if (node.isEmpty()) {
            size = 1;
            reason = "no GPU telemetry for this node; one GPU";
        } else {
            long weights = weightBytes(model.enginePath());
            double utilization = config.memory().gpuMemoryUtilization().orElse(VLLM_DEFAULT_UTILIZATION);
            long smallest = node.stream()
                    .mapToLong(GpuTelemetryEvent::memoryTotalBytes)
                    .min()
                    .orElseThrow();
            double budget = utilization * smallest;
            int cap = Integer.highestOneBit(node.size());
            size = 0;
            int largestValid = 1;
            for (int n = 1; n <= cap; n *= 2) {
                if (heads != null && heads % n != 0) {
                    continue;
                }
                largestValid = n;
                if (weights * 1.2 / n + GIB <= budget) {
                    size = n;
                    break;
                }
            }
            String shape = String.format(
                    Locale.ROOT,
                    "%.1f GiB of weights, %d GPU(s) of %.1f GiB on %s",
                    weights / (double) GIB,
                    node.size(),
                    smallest / (double) GIB,
                    node.get(0).node());
            if (size == 0) {
                size = largestValid;
                reason = "tensor parallel " + size + ": the model does not fit fewer GPUs and " + size
                        + " is the most this node allows (" + shape + "); the engine may run out of memory";
            } else {
                reason = "tensor parallel " + size + " (" + shape + ")";
            }
        }
        List<Integer> gpus = config.runtime() == ChatConfig.RuntimeKind.LOCAL && !node.isEmpty()
                ? node.stream()
                        .sorted(Comparator.comparing((GpuTelemetryEvent g) -> held.contains(g.index()))
                                .thenComparing(Comparator.comparingLong(GpuTelemetryEvent::memoryFreeBytes)
                                        .reversed())
                                .thenComparingInt(GpuTelemetryEvent::index))
                        .limit(size)
                        .map(GpuTelemetryEvent::index)
                        .sorted()
                        .toList()
                : List.of();
        return new TensorPlan(size, gpus, reason);
    }

    private static void validate(int size, List<GpuTelemetryEvent> node, Integer heads) {
        if (size < 1 || Integer.bitCount(size) != 1 || size > MAX_TENSOR_PARALLEL) {
            throw StudioException.invalidField(
                    TP_FIELD,
                    "tensor_parallel_size must be a power of two from 1 to " + MAX_TENSOR_PARALLEL + ", was " + size);
        }
        if (!node.isEmpty() && size > node.size()) {
            throw StudioException.invalidField(
                    TP_FIELD,
                    "tensor_parallel_size " + size + " exceeds the " + node.size() + " GPU(s) of node "
                            + node.get(0).node());
        }
        if (heads != null && heads % size != 0) {
            throw StudioException.invalidField(
                    TP_FIELD,
                    "tensor_parallel_size " + size + " does not divide the model's " + heads
                            + " attention heads (vLLM refuses it)");
        }
    }

    /**
     * The GPUs one engine can shard over: this node's for local engines; on Kubernetes those of the node with the
     * most GPUs (the pod is scheduled onto a node that has them).
     */
    private List<GpuTelemetryEvent> nodeGpus() {
        List<GpuTelemetryEvent> gpus = relevantGpus();
        if (config.runtime() != ChatConfig.RuntimeKind.KUBERNETES) {
            return gpus;
        }
        Map<String, List<GpuTelemetryEvent>> byNode = new LinkedHashMap<>();
        for (GpuTelemetryEvent gpu : gpus) {
            byNode.computeIfAbsent(gpu.node(), n -> new ArrayList<>()).add(gpu);
        }
        return byNode.values().stream().max(Comparator.comparingInt(List::size)).orElse(List.of());
    }

    /** The model's attention heads: a model folder's {@code config.json}, else the catalogue's; null when unknown. */
    Integer attentionHeads(String enginePath) {
        Path config = Path.of(enginePath).resolve("config.json");
        if (enginePath.startsWith("/") && Files.isRegularFile(config)) {
            try {
                if (Files.size(config) <= MAX_CONFIG_BYTES) {
                    int heads = StudioJson.mapper()
                            .readTree(config.toFile())
                            .path("num_attention_heads")
                            .asInt(0);
                    return heads > 0 ? heads : null;
                }
            } catch (IOException e) {
                return null;
            }
            return null;
        }
        return catalog.find(enginePath).map(BaseModel::numAttentionHeads).orElse(null);
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
