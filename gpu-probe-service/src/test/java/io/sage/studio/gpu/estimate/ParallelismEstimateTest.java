package io.sage.studio.gpu.estimate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.sage.studio.common.models.BaseModel;
import io.sage.studio.common.models.BaseModelCatalog;
import io.sage.studio.events.GpuTelemetryEvent;

/**
 * Per-GPU memory of the multi-GPU layouts (issue 21): DDP replicates everything and adds its gradient buckets,
 * FSDP divides weights, gradients and AdamW states by the world size and adds what it holds gathered; and which
 * GPUs a task's layouts are sized for.
 */
class ParallelismEstimateTest {

    private static final BaseModelCatalog CATALOG = BaseModelCatalog.builtInCatalog();
    private static final BaseModel QWEN_7B =
            CATALOG.find("Qwen/Qwen2.5-7B-Instruct").orElseThrow();
    private static final ModelArchitecture ARCH = ModelArchitecture.of(QWEN_7B);
    private static final long H100 = KnownGpu.ALL.stream()
            .filter(g -> g.name().equals("NVIDIA H100 80GB"))
            .findFirst()
            .orElseThrow()
            .memoryBytes();

    private final MemoryEstimator estimator = new MemoryEstimator();

    /** The trainer's defaults: micro-batch 4 x 1024 tokens, no gradient checkpointing. */
    private static TrainingSetup fullBf16(Layout layout) {
        return MemoryEstimatorTest.setup(Method.FULL, Precision.BF16, 4, 1024, false)
                .withLayout(layout);
    }

    private MemoryEstimate estimate(TrainingSetup setup) {
        return estimator.estimate(ARCH, QWEN_7B.params(), setup);
    }

    /**
     * Pure bf16 AdamW keeps 8 bytes per parameter (61 GB for Qwen2.5-7B's 7.6 B) and DDP's buckets another 2 (15 GB):
     * 76 GB of state before a single activation, on each of the 8 GPUs, so the defaults' activations overflow an
     * 80 GB H100. FSDP over 8 keeps 1/8 of the 61 GB (7.6 GB) plus the gathered units, which leaves the
     * activations room.
     */
    @Test
    void sevenBillionFullFineTuneDoesNotFitAnH100UnderDdpButFitsUnderFsdpOverEight() {
        MemoryEstimate ddp = estimate(fullBf16(new Layout(Parallelism.DDP, 8)));
        MemoryEstimate fsdp = estimate(fullBf16(new Layout(Parallelism.FSDP, 8)));
        long params = QWEN_7B.params();

        assertThat(ddp.breakdown().weightsBytes()
                        + ddp.breakdown().optimizerBytes()
                        + ddp.breakdown().gradientsBytes())
                .isEqualTo(8 * params);
        assertThat(ddp.breakdown().communicationBytes()).isEqualTo(2 * params + EstimatorConstants.NCCL_BYTES);
        assertThat(ddp.expectedBytes()).isGreaterThan(H100);
        assertThat(ddp.lowBytes()).isGreaterThan(H100);

        assertThat(fsdp.breakdown().weightsBytes()).isEqualTo(Math.round(2.0 * params / 8));
        assertThat(fsdp.breakdown().optimizerBytes()).isEqualTo(Math.round(4.0 * params / 8));
        assertThat(fsdp.breakdown().communicationBytes()).isEqualTo(EstimatorConstants.NCCL_BYTES);
        assertThat(fsdp.highBytes()).isLessThan(H100);
    }

    /**
     * FSDP gathers the root unit (embedding, untied head, final norm: 2 x 152,064 x 3,584 + 3,584) and one decoder
     * layer (233 M) in bf16, plus that layer's bf16 gradient before its reduce-scatter.
     */
    @Test
    void fsdpHoldsTheRootUnitAndOneLayerGathered() {
        long layer = ARCH.layerParams();
        long root = QWEN_7B.params() - layer * ARCH.numLayers();
        assertThat(root).isEqualTo(2L * 152_064 * 3_584 + 3_584);
        assertThat(layer * ARCH.numLayers() + root).isEqualTo(QWEN_7B.params());

        MemoryEstimate fsdp = estimate(fullBf16(new Layout(Parallelism.FSDP, 8)));
        assertThat(fsdp.breakdown().gatheredBytes()).isEqualTo(2 * (root + layer) + 2 * layer);
    }

    @Test
    void fsdpNeedsLessPerGpuTheMoreGpusItShardsOver() {
        long previous = estimate(fullBf16(Layout.SINGLE)).expectedBytes();
        for (int world : new int[] {2, 4, 8, 16, 64}) {
            long perGpu =
                    estimate(fullBf16(new Layout(Parallelism.FSDP, world))).expectedBytes();
            assertThat(perGpu).as("fsdp over %d", world).isLessThan(previous);
            previous = perGpu;
        }
    }

    /** DDP does not depend on the world size, and for LoRA it costs little: the adapter's gradients and NCCL. */
    @Test
    void ddpOfLoraCostsTheAdaptersGradientsAndNcclOverOneGpu() {
        TrainingSetup lora = MemoryEstimatorTest.setup(Method.LORA, Precision.BF16, 4, 1024, true);
        MemoryEstimate single = estimate(lora);
        MemoryEstimate ddp2 = estimate(lora.withLayout(new Layout(Parallelism.DDP, 2)));
        MemoryEstimate ddp16 = estimate(lora.withLayout(new Layout(Parallelism.DDP, 16)));

        assertThat(ddp2.expectedBytes()).isEqualTo(ddp16.expectedBytes());
        long adapterGradients = 4 * ARCH.loraParams(16, ModelArchitecture.LINEAR_MODULES);
        assertThat(ddp2.breakdown().communicationBytes()).isEqualTo(adapterGradients + EstimatorConstants.NCCL_BYTES);
        // the allocator's 3 % on the added resident bytes, and nothing else (to rounding)
        assertThat(ddp2.expectedBytes() - single.expectedBytes())
                .isCloseTo(Math.round((adapterGradients + EstimatorConstants.NCCL_BYTES) * 1.03), within(2L));
    }

    @Test
    void layoutsAreSizedForTheSmallestGpuOfTheBestNodesWithEnoughGpus() {
        List<GpuTelemetryEvent> seen = List.of(
                gpu("a", 0, 80), gpu("a", 1, 80), gpu("a", 2, 40), gpu("b", 0, 24), gpu("b", 1, 24), gpu("c", 0, 141));

        // two GPUs: node a's two 80 GB ones beat node b's 24 GB pair; node c has only one
        assertThat(EstimateService.sizing(request(), null, seen, shape(2, 1)).bytes())
                .isEqualTo(80L << 30);
        // three GPUs: only node a has three, the smallest of them is 40 GB
        assertThat(EstimateService.sizing(request(), null, seen, shape(3, 1)).bytes())
                .isEqualTo(40L << 30);
        // two nodes of two GPUs: a and b; the smallest GPU is b's 24 GB
        assertThat(EstimateService.sizing(request(), null, seen, shape(2, 2)).bytes())
                .isEqualTo(24L << 30);
        // two nodes of three GPUs: only one node has three
        EstimateService.Sizing none = EstimateService.sizing(request(), null, seen, shape(3, 2));
        assertThat(none.bytes()).isNull();
        assertThat(none.note()).contains("1 node(s) with 3 or more GPUs, 2 needed");
    }

    private static EstimateService.Validated shape(int gpus, int nodes) {
        return EstimateService.validate(new EstimateRequest(
                "m", null, null, null, null, null, null, null, null, null, null, null, null, null, gpus, nodes, null));
    }

    private static EstimateRequest request() {
        return new EstimateRequest(
                "m", null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    private static GpuTelemetryEvent gpu(String node, int index, long gib) {
        return new GpuTelemetryEvent(
                GpuTelemetryEvent.SCHEMA_VERSION,
                node,
                Instant.now(),
                5000,
                "550",
                "12.4",
                index,
                node + "-" + index,
                "NVIDIA A100",
                gib << 30,
                gib << 30,
                0,
                0,
                0,
                40,
                100.0,
                List.of());
    }
}
