package io.sage.studio.finetune.domain;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.sage.studio.events.StudioJson;

class TrainerPhaseTest {

    @Test
    void wireNamesAreTheProtocolAndExecutorStrings() {
        assertThat(TrainerPhase.values())
                .filteredOn(p -> p.source() == TrainerPhase.Source.TRAINER)
                .extracting(TrainerPhase::wire)
                .containsExactly("loading_model", "preparing_data", "training", "saving", "merging", "done");
        assertThat(TrainerPhase.values())
                .filteredOn(p -> p.source() == TrainerPhase.Source.EXECUTOR)
                .extracting(TrainerPhase::wire)
                .containsExactly(
                        "queued_in_cluster",
                        "scheduling",
                        "unschedulable",
                        "image_pull_failed",
                        "starting_container",
                        "pod_running");
    }

    @Test
    void aTrainerReportsOnlyItsOwnPhasesAndUnknownNamesReadAsNone() {
        assertThat(TrainerPhase.reportedByTrainer("merging")).isEqualTo(TrainerPhase.MERGING);
        assertThat(TrainerPhase.reportedByTrainer("scheduling")).isNull();
        assertThat(TrainerPhase.reportedByTrainer("warming_up")).isNull();
        assertThat(TrainerPhase.of("warming_up")).isNull();
        assertThat(TrainerPhase.of(null)).isNull();
    }

    @Test
    void trainingStartsAfterDataPreparation() {
        assertThat(TrainerPhase.LOADING_MODEL.training()).isFalse();
        assertThat(TrainerPhase.PREPARING_DATA.training()).isFalse();
        assertThat(TrainerPhase.TRAINING.training()).isTrue();
        assertThat(TrainerPhase.DONE.training()).isTrue();
        assertThat(TrainerPhase.POD_RUNNING.training()).isFalse();
    }

    @Test
    void methodsAndPhasesKeepTheirJsonStrings() throws Exception {
        assertThat(StudioJson.mapper().writeValueAsString(TrainerPhase.IMAGE_PULL_FAILED))
                .isEqualTo("\"image_pull_failed\"");
        assertThat(StudioJson.mapper().readValue("\"preparing_data\"", TrainerPhase.class))
                .isEqualTo(TrainerPhase.PREPARING_DATA);
        assertThat(TrainingMethod.values()).extracting(TrainingMethod::wire).containsExactly("lora", "qlora", "full");
        assertThat(StudioJson.mapper().writeValueAsString(TrainingMethod.QLORA)).isEqualTo("\"qlora\"");
        assertThat(StudioJson.mapper().readValue("\"full\"", TrainingMethod.class))
                .isEqualTo(TrainingMethod.FULL);
    }
}
