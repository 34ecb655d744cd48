package io.sage.studio.gpu.estimate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.sage.studio.common.models.BaseModel;
import io.sage.studio.common.models.BaseModelCatalog;

/**
 * The memory model against published figures (parameter counts of the released checkpoints, LLaMA-Factory's
 * hardware table) and the properties any such model must have.
 */
class MemoryEstimatorTest {

    private static final double GB = 1e9;
    private static final BaseModelCatalog CATALOG = BaseModelCatalog.builtInCatalog();
    private final MemoryEstimator estimator = new MemoryEstimator();

    @Test
    void countsTheParametersOfEveryCatalogueModelExactly() {
        for (BaseModel model : CATALOG.all()) {
            assertThat(ModelArchitecture.of(model).countParams()).as(model.id()).isEqualTo(model.params());
        }
    }

    @Test
    void countsTheLoraAdapterOfQwen7bAsPeftReportsIt() {
        // PEFT's print_trainable_parameters for Qwen2.5-7B, r=16 on all seven projections: 40,370,176.
        ModelArchitecture qwen7b = arch("Qwen/Qwen2.5-7B-Instruct");
        assertThat(qwen7b.loraParams(16, ModelArchitecture.LINEAR_MODULES)).isEqualTo(40_370_176L);
        assertThat(qwen7b.loraParams(8, List.of("q_proj", "v_proj"))).isEqualTo(8L * 28 * (3584 + 3584 + 3584 + 512));
    }

    /** LLaMA-Factory README, "Hardware Requirement": 7B needs ~16 GB with 16-bit LoRA (2x GB for x billion). */
    @Test
    void sevenBillionLoraMatchesLlamaFactorysSixteenGigabytes() {
        MemoryEstimate estimate =
                estimate("Qwen/Qwen2.5-7B-Instruct", setup(Method.LORA, Precision.BF16, 1, 512, true));
        assertThat(estimate.expectedBytes() / GB).isBetween(15.0, 20.0);
        assertThat(estimate.breakdown().weightsBytes() / GB).isCloseTo(2 * 7.6, within(0.1));
    }

    /** LLaMA-Factory: QLoRA 4-bit needs ~x/2 GB (7B: 6 GB); the 16-bit embeddings and the loss add a little. */
    @Test
    void sevenBillionQloraMatchesLlamaFactorysSixGigabytes() {
        MemoryEstimate estimate =
                estimate("Qwen/Qwen2.5-7B-Instruct", setup(Method.QLORA, Precision.BF16, 1, 512, true));
        assertThat(estimate.expectedBytes() / GB).isBetween(5.0, 9.0);
    }

    /** LLaMA-Factory: 8-bit ~x GB (7B: 10 GB). */
    @Test
    void sevenBillionEightBitLoraMatchesLlamaFactorysTenGigabytes() {
        TrainingSetup eightBit = new TrainingSetup(
                Method.LORA, Precision.BF16, 1, 512, 1, 16, ModelArchitecture.LINEAR_MODULES, true, true);
        assertThat(estimate("Qwen/Qwen2.5-7B-Instruct", eightBit).expectedBytes() / GB)
                .isBetween(9.0, 13.0);
    }

    /** LLaMA-Factory: full fine-tuning, pure bf16 8x GB (7B: 60 GB); mixed precision (AMP) 18x GB (7B: 120 GB). */
    @Test
    void sevenBillionFullFineTuningMatchesLlamaFactorysSixtyAndHundredTwentyGigabytes() {
        MemoryEstimate bf16 = estimate("Qwen/Qwen2.5-7B-Instruct", setup(Method.FULL, Precision.BF16, 1, 512, true));
        MemoryEstimate amp = estimate("Qwen/Qwen2.5-7B-Instruct", setup(Method.FULL, Precision.FP16, 1, 512, true));
        assertThat(bf16.expectedBytes() / GB).isBetween(60.0, 70.0);
        assertThat(amp.expectedBytes() / GB).isBetween(120.0, 145.0);
        assertThat(bf16.breakdown().optimizerBytes()).isEqualTo(4 * bf16.params());
        assertThat(amp.breakdown().optimizerBytes()).isEqualTo(8 * amp.params());
    }

    @Test
    void moreBatchLengthRankOrParametersNeverNeedLessMemory() {
        for (Method method : Method.values()) {
            for (boolean checkpointing : new boolean[] {false, true}) {
                TrainingSetup base = setup(method, Precision.BF16, 2, 512, checkpointing);
                long baseline = estimate("Qwen/Qwen2.5-1.5B-Instruct", base).expectedBytes();
                assertThat(estimate("Qwen/Qwen2.5-1.5B-Instruct", base.withBatch(4, 1))
                                .expectedBytes())
                        .as("%s batch", method)
                        .isGreaterThan(baseline);
                assertThat(estimate("Qwen/Qwen2.5-1.5B-Instruct", base.withMaxLength(1024))
                                .expectedBytes())
                        .as("%s length", method)
                        .isGreaterThan(baseline);
                TrainingSetup higherRank = new TrainingSetup(
                        method, Precision.BF16, 2, 512, 1, 64, ModelArchitecture.LINEAR_MODULES, checkpointing, false);
                assertThat(estimate("Qwen/Qwen2.5-1.5B-Instruct", higherRank).expectedBytes())
                        .as("%s rank", method)
                        .isGreaterThanOrEqualTo(baseline);
                long previous = 0;
                for (String model : List.of(
                        "Qwen/Qwen2.5-0.5B-Instruct",
                        "Qwen/Qwen2.5-1.5B-Instruct",
                        "Qwen/Qwen2.5-3B-Instruct",
                        "Qwen/Qwen2.5-7B-Instruct")) {
                    long bytes = estimate(model, base).expectedBytes();
                    assertThat(bytes).as("%s %s", method, model).isGreaterThan(previous);
                    previous = bytes;
                }
            }
        }
    }

    @Test
    void qloraNeedsLessThanLoraWhichNeedsLessThanFullFineTuning() {
        for (BaseModel model : CATALOG.all()) {
            for (Precision precision : List.of(Precision.BF16, Precision.FP16, Precision.FP32)) {
                long qlora = estimate(model.id(), setup(Method.QLORA, precision, 4, 1024, false))
                        .expectedBytes();
                long lora = estimate(model.id(), setup(Method.LORA, precision, 4, 1024, false))
                        .expectedBytes();
                long full = estimate(model.id(), setup(Method.FULL, precision, 4, 1024, false))
                        .expectedBytes();
                assertThat(qlora).as("%s %s", model.id(), precision).isLessThan(lora);
                assertThat(lora).as("%s %s", model.id(), precision).isLessThan(full);
            }
        }
    }

    @Test
    void gradientCheckpointingAndEightBitWeightsSaveMemoryAndTheRangeIsOrdered() {
        for (Method method : Method.values()) {
            MemoryEstimate plain = estimate("Qwen/Qwen2.5-3B-Instruct", setup(method, Precision.BF16, 8, 2048, false));
            MemoryEstimate checkpointed =
                    estimate("Qwen/Qwen2.5-3B-Instruct", setup(method, Precision.BF16, 8, 2048, true));
            assertThat(checkpointed.expectedBytes()).as(method.id()).isLessThan(plain.expectedBytes());
            assertThat(plain.lowBytes()).isLessThan(plain.expectedBytes());
            assertThat(plain.expectedBytes()).isLessThan(plain.highBytes());
        }
        TrainingSetup eightBit = new TrainingSetup(
                Method.LORA, Precision.BF16, 4, 1024, 1, 16, ModelArchitecture.LINEAR_MODULES, false, true);
        assertThat(estimate("Qwen/Qwen2.5-3B-Instruct", eightBit).expectedBytes())
                .isLessThan(estimate("Qwen/Qwen2.5-3B-Instruct", setup(Method.LORA, Precision.BF16, 4, 1024, false))
                        .expectedBytes());
    }

    @Test
    void theBreakdownAddsUpToTheExpectedPeakForAdapters() {
        MemoryEstimate lora =
                estimate("Qwen/Qwen2.5-0.5B-Instruct", setup(Method.LORA, Precision.BF16, 4, 1024, false));
        MemoryEstimate.Breakdown b = lora.breakdown();
        assertThat(b.weightsBytes()
                        + b.adapterBytes()
                        + b.gradientsBytes()
                        + b.optimizerBytes()
                        + b.activationsBytes()
                        + b.allocatorBytes()
                        + b.cudaContextBytes())
                .isCloseTo(lora.expectedBytes(), within(8L));
        assertThat(lora.trainableParams()).isEqualTo(8_798_208L);
        assertThat(b.optimizerBytes()).isEqualTo(2 * b.adapterBytes());
    }

    private MemoryEstimate estimate(String id, TrainingSetup setup) {
        BaseModel model = CATALOG.find(id).orElseThrow();
        return estimator.estimate(ModelArchitecture.of(model), model.params(), setup);
    }

    private static ModelArchitecture arch(String id) {
        return ModelArchitecture.of(CATALOG.find(id).orElseThrow());
    }

    static TrainingSetup setup(Method method, Precision precision, int batch, int length, boolean checkpointing) {
        return new TrainingSetup(
                method, precision, batch, length, 1, 16, ModelArchitecture.LINEAR_MODULES, checkpointing, false);
    }
}
