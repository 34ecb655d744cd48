package io.sage.studio.gpu.estimate;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.common.error.CommonError;
import io.sage.studio.common.error.FieldError;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.common.models.BaseModel;
import io.sage.studio.common.models.BaseModelCatalog;
import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.gpu.GpuProbeError;
import io.sage.studio.gpu.telemetry.ClusterGpus;

/**
 * Answers memory-estimate requests: validates them (every bad field named), sizes the model, checks it against
 * well-known GPUs and the GPUs seen in telemetry, and recommends settings for one budget.
 */
@ApplicationScoped
public class EstimateService {

    /** The trainer's defaults, so an estimate of an empty form matches what a task would run. */
    static final int DEFAULT_BATCH = 4;

    static final int DEFAULT_LENGTH = 1024;
    static final int DEFAULT_LORA_R = 16;
    static final long MIN_BUDGET = 256L << 20;
    static final long MAX_BUDGET = 1L << 50;
    /** The most GPUs per node, and nodes, a task may ask for (the task shape's limits). */
    static final int MAX_GPUS = 64;

    private final ArchitectureResolver models;
    private final ClusterGpus gpus;
    private final BaseModelCatalog catalog;
    private final MemoryEstimator estimator = new MemoryEstimator();
    private final Recommender recommender = new Recommender(estimator);

    public EstimateService(ArchitectureResolver models, ClusterGpus gpus, BaseModelCatalog catalog) {
        this.models = models;
        this.gpus = gpus;
        this.catalog = catalog;
    }

    public EstimateResponse estimate(EstimateRequest request) {
        if (request == null) {
            throw new StudioException(CommonError.INVALID_JSON, "a JSON body is required");
        }
        Validated input = validate(request);
        ResolvedArchitecture model = models.resolve(request.model(), request.architecture());
        List<GpuTelemetryEvent> seen = gpus.devices(null, Instant.now());
        GpuTelemetryEvent device = null;
        if (request.node() != null) {
            device = seen.stream()
                    .filter(d -> d.node().equals(request.node()) && d.uuid().equals(request.gpuUuid()))
                    .findFirst()
                    .orElseThrow(() -> new StudioException(
                            GpuProbeError.GPU_NOT_FOUND,
                            "no current telemetry for GPU " + request.gpuUuid() + " on node " + request.node()));
        }
        boolean bf16 = device == null || GpuNames.hasBf16(device.name());
        Sizing sizing = sizing(request, device, seen, input);
        List<EstimateResponse.LayoutFit> layouts = new ArrayList<>();
        Parallelism recommended = null;
        TrainingSetup sized = input.setup(input.precision().resolve(sizing.bf16()), Layout.SINGLE);
        for (Layout layout : input.layouts()) {
            MemoryEstimate perGpu = estimator.estimate(model.architecture(), model.params(), sized.withLayout(layout));
            Boolean fits = sizing.bytes() == null ? null : perGpu.expectedBytes() <= sizing.bytes();
            layouts.add(new EstimateResponse.LayoutFit(
                    layout.parallelism(), perGpu.expectedBytes(), perGpu.highBytes(), fits));
            if (recommended == null && Boolean.TRUE.equals(fits)) {
                recommended = layout.parallelism();
            }
        }
        Layout effective = input.effective(recommended);
        TrainingSetup setup = input.setup(input.precision().resolve(bf16), effective);
        MemoryEstimate estimate = estimator.estimate(model.architecture(), model.params(), setup);

        List<EstimateResponse.Fit> fits = new ArrayList<>();
        for (KnownGpu gpu : KnownGpu.ALL) {
            MemoryEstimate onGpu = estimator.estimate(
                    model.architecture(),
                    model.params(),
                    input.setup(input.precision().resolve(gpu.bf16()), effective));
            fits.add(fit(gpu.name(), gpu.memoryBytes(), onGpu, null, null));
        }
        List<EstimateResponse.Device> devices = new ArrayList<>();
        for (GpuTelemetryEvent d : seen) {
            MemoryEstimate onDevice = estimator.estimate(
                    model.architecture(),
                    model.params(),
                    input.setup(input.precision().resolve(GpuNames.hasBf16(d.name())), effective));
            fits.add(fit(label(d), d.memoryFreeBytes(), onDevice, d.node(), d.uuid()));
            devices.add(new EstimateResponse.Device(
                    d.node(),
                    d.uuid(),
                    d.index(),
                    d.name(),
                    d.memoryTotalBytes(),
                    d.memoryFreeBytes(),
                    onDevice.expectedBytes() <= d.memoryFreeBytes(),
                    d.memoryFreeBytes() - onDevice.expectedBytes()));
        }

        Recommendation recommendation = recommend(model, setup, request, device, seen, input);
        return new EstimateResponse(
                model.name(),
                model.source(),
                estimate.params(),
                estimate.trainableParams(),
                setup.method(),
                setup.precision(),
                estimate.lowBytes(),
                estimate.expectedBytes(),
                estimate.highBytes(),
                estimate.breakdown(),
                fits,
                devices,
                recommendation,
                MemoryEstimator.FORMULA,
                notes(model, setup, input, sizing),
                effective.parallelism(),
                effective.worldSize(),
                layouts,
                recommended);
    }

    /**
     * What the layouts must fit, per GPU: the budget given, the GPU given (its total memory), or the smallest of
     * the GPUs a task of this shape would use, from telemetry: on each node with at least {@code gpus} GPUs its
     * {@code gpus} largest, on the {@code nodes} nodes whose smallest such GPU is largest. Total memory, not free:
     * a task queues until its GPUs are free, so what matters is whether it can ever fit.
     *
     * @param bytes {@code null} when there is nothing to size for
     * @param note what the layouts were sized for, or why not
     */
    record Sizing(Long bytes, boolean bf16, String note) {}

    static Sizing sizing(
            EstimateRequest request, GpuTelemetryEvent device, List<GpuTelemetryEvent> seen, Validated input) {
        if (request.gpuMemoryBytes() != null) {
            return new Sizing(
                    request.gpuMemoryBytes(),
                    true,
                    "layouts are sized for a budget of " + Recommender.gib(request.gpuMemoryBytes()) + " per GPU");
        }
        if (device != null) {
            return new Sizing(
                    device.memoryTotalBytes(),
                    GpuNames.hasBf16(device.name()),
                    "layouts are sized for the total memory of " + label(device) + " on " + device.node());
        }
        Map<String, List<GpuTelemetryEvent>> byNode = new TreeMap<>();
        for (GpuTelemetryEvent gpu : seen) {
            byNode.computeIfAbsent(gpu.node(), n -> new ArrayList<>()).add(gpu);
        }
        List<GpuTelemetryEvent> smallestPerNode = new ArrayList<>();
        for (List<GpuTelemetryEvent> onNode : byNode.values()) {
            if (onNode.size() >= input.gpus()) {
                onNode.sort(Comparator.comparingLong(GpuTelemetryEvent::memoryTotalBytes)
                        .reversed());
                smallestPerNode.add(onNode.get(input.gpus() - 1));
            }
        }
        smallestPerNode.sort(
                Comparator.comparingLong(GpuTelemetryEvent::memoryTotalBytes).reversed());
        if (smallestPerNode.size() < input.nodes()) {
            String why = seen.isEmpty()
                    ? "no GPU telemetry from any node"
                    : String.format(
                            Locale.ROOT,
                            "telemetry shows %d node(s) with %d or more GPUs, %d needed",
                            smallestPerNode.size(),
                            input.gpus(),
                            input.nodes());
            return new Sizing(null, true, "layouts are not sized (fits is null): " + why);
        }
        GpuTelemetryEvent smallest = smallestPerNode.get(input.nodes() - 1);
        return new Sizing(
                smallest.memoryTotalBytes(),
                GpuNames.hasBf16(smallest.name()),
                String.format(
                        Locale.ROOT,
                        "layouts are sized for the smallest of the %d GPU(s) a task would use: %s on %s, %s total",
                        input.gpus() * input.nodes(),
                        label(smallest),
                        smallest.node(),
                        Recommender.gib(smallest.memoryTotalBytes())));
    }

    /**
     * One sentence on what the GPU with the most free memory can train, for {@code gpu-info}: the largest
     * catalogue model that fits with LoRA and with full fine-tuning at the trainer's defaults.
     */
    public String advice(List<GpuTelemetryEvent> devices) {
        Optional<GpuTelemetryEvent> best =
                devices.stream().max(Comparator.comparingLong(GpuTelemetryEvent::memoryFreeBytes));
        if (best.isEmpty()) {
            return null;
        }
        GpuTelemetryEvent gpu = best.get();
        long free = gpu.memoryFreeBytes();
        Precision precision = Precision.AUTO.resolve(GpuNames.hasBf16(gpu.name()));
        String lora = largestFitting(Method.LORA, precision, free);
        String qlora = largestFitting(Method.QLORA, precision, free);
        String full = largestFitting(Method.FULL, precision, free);
        StringBuilder out = new StringBuilder(
                String.format(Locale.ROOT, "%s on %s has %s free. ", label(gpu), gpu.node(), Recommender.gib(free)));
        if (lora == null && qlora == null) {
            return out.append("Not even the smallest catalogue model fits with QLoRA at batch 4 x 1024 tokens: free "
                            + "memory on it, or lower the batch size and max length")
                    .toString();
        }
        out.append(String.format(
                Locale.ROOT,
                "At batch %d x %d tokens, LoRA fits up to %s",
                DEFAULT_BATCH,
                DEFAULT_LENGTH,
                lora == null ? "none of the catalogue" : lora));
        if (qlora != null && !qlora.equals(lora)) {
            out.append(", QLoRA up to ").append(qlora);
        }
        out.append(full == null ? "; full fine-tuning fits none of the catalogue" : "; full fine-tuning up to " + full);
        return out.append('.').toString();
    }

    private String largestFitting(Method method, Precision precision, long budget) {
        TrainingSetup setup = new TrainingSetup(
                method,
                precision,
                DEFAULT_BATCH,
                DEFAULT_LENGTH,
                1,
                DEFAULT_LORA_R,
                ModelArchitecture.LINEAR_MODULES,
                false,
                false);
        String best = null;
        long bestParams = -1;
        for (BaseModel model : catalog.all()) {
            MemoryEstimate estimate = estimator.estimate(ModelArchitecture.of(model), model.params(), setup);
            if (estimate.highBytes() <= budget && model.params() > bestParams) {
                best = model.id();
                bestParams = model.params();
            }
        }
        return best;
    }

    private Recommendation recommend(
            ResolvedArchitecture model,
            TrainingSetup setup,
            EstimateRequest request,
            GpuTelemetryEvent device,
            List<GpuTelemetryEvent> seen,
            Validated input) {
        if (request.gpuMemoryBytes() != null) {
            return recommender.recommend(
                    model.architecture(),
                    model.params(),
                    setup,
                    "a budget of " + Recommender.gib(request.gpuMemoryBytes()),
                    request.gpuMemoryBytes());
        }
        GpuTelemetryEvent target = device != null
                ? device
                : seen.stream()
                        .max(Comparator.comparingLong(GpuTelemetryEvent::memoryFreeBytes))
                        .orElse(null);
        if (target == null) {
            return new Recommendation(
                    null,
                    0,
                    null,
                    setup.method(),
                    setup.batchSize(),
                    setup.gradientAccumulationSteps(),
                    setup.maxLength(),
                    setup.gradientCheckpointing(),
                    null,
                    null,
                    "no GPU to size for: no telemetry from any node; pass gpu_memory_bytes, or node and gpu_uuid");
        }
        TrainingSetup onTarget =
                input.setup(input.precision().resolve(GpuNames.hasBf16(target.name())), setup.layout());
        return recommender.recommend(
                model.architecture(),
                model.params(),
                onTarget,
                label(target) + " on " + target.node() + " (free memory)",
                target.memoryFreeBytes());
    }

    private static EstimateResponse.Fit fit(
            String gpu, long memory, MemoryEstimate estimate, String node, String uuid) {
        return new EstimateResponse.Fit(
                gpu,
                memory,
                estimate.expectedBytes() <= memory,
                estimate.highBytes() <= memory,
                memory - estimate.expectedBytes(),
                node,
                uuid);
    }

    private static String label(GpuTelemetryEvent d) {
        String name = d.name() == null || d.name().isBlank() ? "GPU" : d.name();
        return String.format(Locale.ROOT, "%s (GPU %d)", name, d.index());
    }

    private static List<String> notes(ResolvedArchitecture model, TrainingSetup setup, Validated input, Sizing sizing) {
        List<String> notes = new ArrayList<>();
        notes.add(sizing.note());
        if (setup.layout().worldSize() > 1) {
            notes.add(String.format(
                    Locale.ROOT,
                    "per GPU of %s over %d GPUs; batch_size is per GPU (the global batch is %d x batch_size)",
                    setup.layout().parallelism().id(),
                    setup.layout().worldSize(),
                    setup.layout().worldSize()));
        }
        if (input.precision() == Precision.AUTO) {
            notes.add("precision auto is estimated as bf16, and as fp16 on GPUs without bf16 (T4, V100 and older)");
        }
        if (setup.method() == Method.FULL && setup.precision() == Precision.BF16) {
            notes.add("full fine-tuning in bf16 keeps weights, gradients and AdamW moments in bf16 (8 bytes per "
                    + "parameter); fp16 or fp32 needs fp32 master weights (16-18 bytes per parameter)");
        }
        if (model.contextLength() != null && setup.maxLength() > model.contextLength()) {
            notes.add(String.format(
                    Locale.ROOT,
                    "max_length %d is longer than the model's context length %d",
                    setup.maxLength(),
                    model.contextLength()));
        }
        notes.add("activations assume every sample is max_length tokens long (worst case without packing)");
        return notes;
    }

    /** Range-checks every field; all problems are reported at once. */
    static Validated validate(EstimateRequest r) {
        List<FieldError> errors = new ArrayList<>();
        Method method = r.method() == null ? Method.LORA : Method.parse(r.method());
        if (method == null) {
            errors.add(new FieldError("method", "method must be lora, qlora or full, was " + r.method()));
        }
        Precision precision = r.precision() == null ? Precision.AUTO : Precision.parse(r.precision());
        if (precision == null) {
            errors.add(new FieldError("precision", "precision must be auto, bf16, fp16 or fp32, was " + r.precision()));
        }
        int batch = range(errors, "batch_size", r.batchSize(), DEFAULT_BATCH, 1, 4096);
        int length = range(errors, "max_length", r.maxLength(), DEFAULT_LENGTH, 16, 1_048_576);
        int accumulation = range(errors, "gradient_accumulation_steps", r.gradientAccumulationSteps(), 1, 1, 4096);
        int rank = range(errors, "lora_r", r.loraR(), DEFAULT_LORA_R, 1, 4096);
        List<String> targets = targets(errors, r.loraTargetModules());
        boolean eightBit = Boolean.TRUE.equals(r.loadIn8bit());
        if (eightBit && method != null && method != Method.LORA) {
            errors.add(new FieldError(
                    "load_in_8bit",
                    "load_in_8bit works with method lora only (qlora is 4-bit, " + "full needs trainable weights)"));
        }
        if (r.gpuMemoryBytes() != null && (r.gpuMemoryBytes() < MIN_BUDGET || r.gpuMemoryBytes() > MAX_BUDGET)) {
            errors.add(new FieldError(
                    "gpu_memory_bytes",
                    "gpu_memory_bytes must be between " + MIN_BUDGET + " and " + MAX_BUDGET + ", was "
                            + r.gpuMemoryBytes()));
        }
        if ((r.node() == null) != (r.gpuUuid() == null)) {
            String missing = r.node() == null ? "node" : "gpu_uuid";
            errors.add(new FieldError(missing, "node and gpu_uuid go together: " + missing + " is missing"));
        }
        if (r.node() != null && r.gpuUuid() != null && r.gpuMemoryBytes() != null) {
            errors.add(
                    new FieldError("gpu_memory_bytes", "give either gpu_memory_bytes or node and gpu_uuid, not both"));
        }
        int gpus = range(errors, "gpus", r.gpus(), 1, 1, MAX_GPUS);
        int nodes = range(errors, "nodes", r.nodes(), 1, 1, MAX_GPUS);
        Parallelism parallelism = null;
        if (r.parallelism() != null && !r.parallelism().equals("auto")) {
            parallelism = switch (r.parallelism()) {
                case "ddp" -> Parallelism.DDP;
                case "fsdp" -> Parallelism.FSDP;
                default -> {
                    errors.add(new FieldError(
                            "parallelism", "parallelism must be auto, ddp or fsdp, was " + r.parallelism()));
                    yield null;
                }
            };
        }
        if (r.model() != null && r.model().length() > 1024) {
            errors.add(new FieldError("model", "model must be at most 1024 characters"));
        }
        if (!errors.isEmpty()) {
            String message = errors.size() == 1
                    ? errors.get(0).message()
                    : errors.get(0).message() + " (and " + (errors.size() - 1) + " more problems)";
            throw new StudioException(CommonError.INVALID_FIELD, message, errors);
        }
        return new Validated(
                method,
                precision,
                batch,
                length,
                accumulation,
                rank,
                targets,
                Boolean.TRUE.equals(r.gradientCheckpointing()),
                eightBit,
                gpus,
                nodes,
                parallelism);
    }

    private static int range(List<FieldError> errors, String field, Integer value, int fallback, int min, int max) {
        if (value == null) {
            return fallback;
        }
        if (value < min || value > max) {
            errors.add(new FieldError(
                    field, String.format(Locale.ROOT, "%s must be between %d and %d, was %d", field, min, max, value)));
            return fallback;
        }
        return value;
    }

    private static List<String> targets(List<FieldError> errors, JsonNode value) {
        if (value == null
                || value.isNull()
                || (value.isTextual() && value.asText().equals("all-linear"))) {
            return ModelArchitecture.LINEAR_MODULES;
        }
        if (!value.isArray() || value.isEmpty()) {
            errors.add(new FieldError(
                    "lora_target_modules",
                    "lora_target_modules must be null, \"all-linear\" or a non-empty list of projection names"));
            return ModelArchitecture.LINEAR_MODULES;
        }
        LinkedHashSet<String> names = new LinkedHashSet<>();
        for (JsonNode item : value) {
            String name = item.asText("");
            if (!item.isTextual() || !ModelArchitecture.LINEAR_MODULES.contains(name)) {
                errors.add(new FieldError(
                        "lora_target_modules",
                        "lora_target_modules: unknown projection '" + name + "'; known: "
                                + String.join(", ", ModelArchitecture.LINEAR_MODULES)));
                return ModelArchitecture.LINEAR_MODULES;
            }
            names.add(name);
        }
        return List.copyOf(names);
    }

    /**
     * A request's settings after validation, precision not yet resolved for a particular GPU.
     *
     * @param parallelism {@code null} for auto
     */
    record Validated(
            Method method,
            Precision precision,
            int batchSize,
            int maxLength,
            int accumulation,
            int loraR,
            List<String> targets,
            boolean gradientCheckpointing,
            boolean loadIn8bit,
            int gpus,
            int nodes,
            Parallelism parallelism) {

        int worldSize() {
            return gpus * nodes;
        }

        /** The layouts this many GPUs allow: one process alone, else DDP and FSDP (cheapest first). */
        List<Layout> layouts() {
            if (worldSize() == 1) {
                return List.of(Layout.SINGLE);
            }
            return List.of(new Layout(Parallelism.DDP, worldSize()), new Layout(Parallelism.FSDP, worldSize()));
        }

        /**
         * The layout the top-level numbers are for: the requested one, else the recommended one, else what the
         * trainer defaults to without an estimate (full fine-tuning shards, adapters replicate).
         */
        Layout effective(Parallelism recommended) {
            if (worldSize() == 1) {
                return Layout.SINGLE;
            }
            Parallelism chosen = parallelism != null
                    ? parallelism
                    : recommended != null ? recommended : method == Method.FULL ? Parallelism.FSDP : Parallelism.DDP;
            return new Layout(chosen, worldSize());
        }

        TrainingSetup setup(Precision resolved, Layout layout) {
            return new TrainingSetup(
                    method,
                    resolved,
                    batchSize,
                    maxLength,
                    accumulation,
                    loraR,
                    targets,
                    gradientCheckpointing,
                    loadIn8bit,
                    layout);
        }
    }
}
