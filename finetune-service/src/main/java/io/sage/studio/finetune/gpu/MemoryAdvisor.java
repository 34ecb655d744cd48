package io.sage.studio.finetune.gpu;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import io.sage.studio.common.models.BaseModelCatalog;
import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.sage.studio.finetune.domain.TaskRequest;
import io.sage.studio.finetune.domain.TaskWarning;
import io.sage.studio.finetune.domain.TrainingConfig;
import io.sage.studio.finetune.task.WarningsProvider;

/**
 * Create-time warnings: the gpu-probe estimate of the task's GPU memory against the GPUs known from telemetry
 * (this node's for the local executor, every node's for Kubernetes), and a base model outside the catalogue.
 * Also the {@code vram_hint_gb} of catalogue models (default LoRA settings), cached.
 */
@ApplicationScoped
public class MemoryAdvisor implements WarningsProvider {

    private static final double GIB = 1024.0 * 1024 * 1024;
    private static final Duration RETRY_UNAVAILABLE = Duration.ofSeconds(60);

    private final GpuProbeEstimates estimator;
    private final GpuInventory inventory;
    private final BaseModelCatalog catalog;
    private final boolean kubernetes;
    private final Map<String, Double> hints = new ConcurrentHashMap<>();
    private volatile long hintsUnavailableUntil;

    public MemoryAdvisor(
            GpuProbeEstimates estimator, GpuInventory inventory, BaseModelCatalog catalog, FinetuneConfig config) {
        this.estimator = estimator;
        this.inventory = inventory;
        this.catalog = catalog;
        this.kubernetes = config.executor() == FinetuneConfig.ExecutorKind.KUBERNETES;
    }

    @Override
    public List<TaskWarning> warningsFor(TaskRequest request) {
        List<TaskWarning> warnings = new ArrayList<>();
        if (catalog.find(request.modelName()).isEmpty()) {
            warnings.add(new TaskWarning(
                    "model_not_in_catalog",
                    "the base model is not in the catalogue; the "
                            + "trainer must be able to load it (a Hugging Face id in its cache, or a model folder)"));
        }
        TrainingConfig config = request.trainingConfig();
        // per GPU of the task's layout: a sharded task's per-GPU need is what must fit, not the whole model's
        boolean single = config.gpus() * config.nodes() == 1;
        Optional<GpuProbeEstimate> estimate = estimator.estimate(new GpuProbeEstimateRequest(
                request.modelName(),
                request.methodOrDefault().wire(),
                config.batchSize(),
                config.maxLength(),
                config.loraR(),
                config.gradientCheckpointing(),
                "auto",
                config.loadIn8bit(),
                config.gpus(),
                config.nodes(),
                single || request.autoParallelism()
                        ? "auto"
                        : config.parallelism().wire()));
        if (estimate.isEmpty()) {
            warnings.add(new TaskWarning(
                    "estimate_unavailable",
                    "no GPU memory estimate (the gpu-probe-service did "
                            + "not answer); the task is queued without one"));
            return warnings;
        }
        GpuProbeEstimate e = estimate.get();
        String need = "about " + gib(e.expectedBytes()) + " GiB of GPU memory (" + gib(e.lowBytes()) + "–"
                + gib(e.highBytes()) + " GiB)" + (single ? "" : " on each GPU");
        List<GpuTelemetryEvent> gpus = kubernetes ? inventory.allGpus() : inventory.localGpus();
        if (gpus.isEmpty()) {
            warnings.add(new TaskWarning("no_gpu_known", "no GPU is reported by telemetry; this task needs " + need));
            return warnings;
        }
        GpuTelemetryEvent largest = gpus.stream()
                .max(Comparator.comparingLong(GpuTelemetryEvent::memoryTotalBytes))
                .orElseThrow();
        GpuTelemetryEvent freest = gpus.stream()
                .max(Comparator.comparingLong(GpuTelemetryEvent::memoryFreeBytes))
                .orElseThrow();
        if (e.expectedBytes() > largest.memoryTotalBytes()) {
            warnings.add(new TaskWarning(
                    "insufficient_gpu_memory",
                    "this task needs " + need + " but the largest GPU ("
                            + describe(largest) + ") has " + gib(largest.memoryTotalBytes())
                            + " GiB; lower batch_size or "
                            + "max_length, use method qlora, or pick a smaller model"));
        } else if (e.expectedBytes() > freest.memoryFreeBytes()) {
            warnings.add(new TaskWarning(
                    "gpu_memory_in_use",
                    "this task needs " + need + "; the GPU with the most "
                            + "free memory (" + describe(freest) + ") has " + gib(freest.memoryFreeBytes())
                            + " GiB free now "
                            + "(other processes, e.g. a model server, hold the rest); it may run out of memory until that "
                            + "is freed"));
        } else if (e.highBytes() > largest.memoryTotalBytes()) {
            warnings.add(new TaskWarning(
                    "gpu_memory_tight",
                    "this task needs " + need + "; the high end of the " + "estimate exceeds the "
                            + gib(largest.memoryTotalBytes()) + " GiB of " + describe(largest)));
        }
        return warnings;
    }

    /**
     * gpu-probe's per-GPU estimate of {@code request}'s settings on {@code gpus} GPUs per node over {@code nodes}
     * nodes, each layout sized for the smallest GPU such a task would use; empty when gpu-probe does not answer.
     */
    public Optional<GpuProbeEstimate> layoutEstimate(TaskRequest request, int gpus, int nodes) {
        TrainingConfig config = request.trainingConfig();
        return estimator.estimate(new GpuProbeEstimateRequest(
                request.modelName(),
                request.methodOrDefault().wire(),
                config.batchSize(),
                config.maxLength(),
                config.loraR(),
                config.gradientCheckpointing(),
                "auto",
                config.loadIn8bit(),
                gpus,
                nodes,
                "auto"));
    }

    /**
     * What {@code parallelism: auto} resolves to for this task shape: gpu-probe's {@code recommended} layout
     * ({@code none} for one GPU, else {@code ddp} when it fits, else {@code fsdp}); empty when gpu-probe does not
     * answer, had no GPU to size for, or no layout fits (then the caller falls back to the contract's default, or
     * refuses the shape when {@link GpuProbeEstimate#fitsNoLayout()}).
     */
    public Optional<String> recommendedParallelism(TaskRequest request, int gpus, int nodes) {
        return layoutEstimate(request, gpus, nodes).map(GpuProbeEstimate::recommended);
    }

    /** Expected GPU memory (GiB) to LoRA-train a catalogue model with default settings, or {@code null}. */
    public Double vramHintGb(String modelId) {
        Double known = hints.get(modelId);
        if (known != null || System.currentTimeMillis() < hintsUnavailableUntil) {
            return known;
        }
        Optional<GpuProbeEstimate> estimate = estimator.estimate(new GpuProbeEstimateRequest(
                modelId,
                "lora",
                TaskRequest.DEFAULT_BATCH_SIZE,
                TaskRequest.DEFAULT_MAX_LENGTH,
                16,
                true,
                "auto",
                false));
        if (estimate.isEmpty()) {
            hintsUnavailableUntil = System.currentTimeMillis() + RETRY_UNAVAILABLE.toMillis();
            return null;
        }
        double gb = Math.round(estimate.get().expectedBytes() / GIB * 10) / 10.0;
        hints.put(modelId, gb);
        return gb;
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / GIB);
    }

    private static String describe(GpuTelemetryEvent gpu) {
        return gpu.name() + " #" + gpu.index() + " on " + gpu.node();
    }
}
