package io.sage.studio.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

class StudioLabelsTest {

    @Test
    void workloadLabelsComeInTheRecommendedOrderAndCanBeExtended() {
        var labels = StudioLabels.workload(
                StudioLabels.NAME_ENGINE, StudioLabels.COMPONENT_ENGINE, StudioLabels.MANAGED_BY_CHAT_SWITCH);
        assertThat(labels.keySet())
                .containsExactly(
                        "app.kubernetes.io/name",
                        "app.kubernetes.io/component",
                        "app.kubernetes.io/part-of",
                        "app.kubernetes.io/managed-by");
        assertThat(labels).containsEntry("app.kubernetes.io/part-of", "sage-studio");
        labels.put(StudioLabels.BACKEND_ID, "b-1");
        assertThat(StudioLabels.owned(StudioLabels.MANAGED_BY_FINETUNE))
                .containsExactly(
                        Map.entry("app.kubernetes.io/part-of", "sage-studio"),
                        Map.entry("app.kubernetes.io/managed-by", "sage-studio-finetune"));
    }
}
