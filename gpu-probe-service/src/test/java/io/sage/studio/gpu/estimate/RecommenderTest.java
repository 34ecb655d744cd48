package io.sage.studio.gpu.estimate;

import static io.sage.studio.gpu.estimate.MemoryEstimatorTest.setup;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.sage.studio.common.models.BaseModel;
import io.sage.studio.common.models.BaseModelCatalog;

class RecommenderTest {

    private static final long GIB = 1L << 30;
    private final MemoryEstimator estimator = new MemoryEstimator();
    private final Recommender recommender = new Recommender(estimator);
    private final BaseModel qwen7b =
            BaseModelCatalog.builtInCatalog().find("Qwen/Qwen2.5-7B-Instruct").orElseThrow();
    private final BaseModel qwen05 =
            BaseModelCatalog.builtInCatalog().find("Qwen/Qwen2.5-0.5B-Instruct").orElseThrow();

    @Test
    void keepsTheRequestWhenItFits() {
        TrainingSetup requested = setup(Method.LORA, Precision.BF16, 2, 512, false);
        Recommendation r = recommend(qwen05, requested, 80 * GIB);

        assertThat(r.fits()).isTrue();
        assertThat(r.method()).isEqualTo(Method.LORA);
        assertThat(r.batchSize()).isEqualTo(2);
        assertThat(r.maxLength()).isEqualTo(512);
        assertThat(r.reason()).contains("as requested");
    }

    @Test
    void shrinksTheMicroBatchAndKeepsTheEffectiveBatchBeforeAnythingElse() {
        TrainingSetup requested = setup(Method.LORA, Precision.BF16, 16, 1024, false);
        Recommendation r = recommend(qwen05, requested, 24 * GIB);

        assertThat(r.fits()).isTrue();
        assertThat(r.method()).isEqualTo(Method.LORA);
        assertThat(r.gradientCheckpointing()).isFalse();
        assertThat(r.maxLength()).isEqualTo(1024);
        assertThat(r.batchSize()).isLessThan(16);
        assertThat((long) r.batchSize() * r.gradientAccumulationSteps()).isEqualTo(16);
        assertThat(r.highBytes()).isLessThanOrEqualTo(24 * GIB);
    }

    @Test
    void fullFineTuningOfSevenBillionOnTwentyFourGigabytesBecomesAnAdapter() {
        TrainingSetup requested = setup(Method.FULL, Precision.BF16, 4, 1024, false);
        Recommendation r = recommend(qwen7b, requested, 24 * GIB);

        assertThat(r.fits()).isTrue();
        assertThat(r.method()).isIn(Method.LORA, Method.QLORA);
        assertThat(r.gradientCheckpointing()).isTrue();
        assertThat(r.reason()).contains("method");
        TrainingSetup chosen = new TrainingSetup(
                r.method(),
                Precision.BF16,
                r.batchSize(),
                r.maxLength(),
                r.gradientAccumulationSteps(),
                16,
                ModelArchitecture.LINEAR_MODULES,
                r.gradientCheckpointing(),
                false);
        assertThat(estimator
                        .estimate(ModelArchitecture.of(qwen7b), qwen7b.params(), chosen)
                        .highBytes())
                .isLessThanOrEqualTo(24 * GIB);
    }

    @Test
    void saysSoWhenNothingFits() {
        Recommendation r = recommend(qwen7b, setup(Method.LORA, Precision.BF16, 4, 1024, false), 2 * GIB);

        assertThat(r.fits()).isFalse();
        assertThat(r.method()).isEqualTo(Method.QLORA);
        assertThat(r.reason()).contains("does not fit", "smaller model");
    }

    @Test
    void suggestsALargerMicroBatchWhenThereIsRoomAndAccumulationToTrade() {
        TrainingSetup requested = new TrainingSetup(
                Method.LORA, Precision.BF16, 1, 512, 8, 16, ModelArchitecture.LINEAR_MODULES, false, false);
        Recommendation r = recommend(qwen05, requested, 140 * GIB);

        assertThat(r.batchSize()).isEqualTo(8);
        assertThat(r.gradientAccumulationSteps()).isEqualTo(1);
        assertThat(r.reason()).contains("room to spare");
    }

    @Test
    void proposesShorterSequencesOnlyAfterEveryOtherLever() {
        TrainingSetup requested = setup(Method.QLORA, Precision.BF16, 1, 8192, true);
        assertThat(Recommender.candidates(requested)).first().isEqualTo(requested);
        assertThat(Recommender.candidates(requested)).last().satisfies(last -> {
            assertThat(last.maxLength()).isEqualTo(Recommender.MIN_LENGTH);
            assertThat(last.batchSize()).isEqualTo(1);
        });
    }

    private Recommendation recommend(BaseModel model, TrainingSetup setup, long budget) {
        return recommender.recommend(ModelArchitecture.of(model), model.params(), setup, "test GPU", budget);
    }
}
