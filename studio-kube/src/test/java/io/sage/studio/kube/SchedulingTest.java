package io.sage.studio.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;

class SchedulingTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            nullValues = "-",
            value = {
                "dedicated=training:NoSchedule, dedicated,      Equal,  training, NoSchedule",
                "dedicated=training,            dedicated,      Equal,  training, -",
                "nvidia.com/gpu:Exists:NoSchedule, nvidia.com/gpu, Exists, -,     NoSchedule",
                "nvidia.com/gpu:Exists,         nvidia.com/gpu, Exists, -,        -",
                "nvidia.com/gpu:NoExecute,      nvidia.com/gpu, Exists, -,        NoExecute",
                "nvidia.com/gpu,                nvidia.com/gpu, Exists, -,        -",
                ":Exists,                       -,              Exists, -,        -",
                ":Exists:PreferNoSchedule,      -,              Exists, -,        PreferNoSchedule",
                "' dedicated = llm : NoExecute ', dedicated,    Equal,  llm,      NoExecute",
            })
    void everyDocumentedStringFormParses(String spec, String key, String operator, String value, String effect) {
        Toleration t = Scheduling.legacyToleration(spec);
        assertThat(t)
                .extracting(Toleration::getKey, Toleration::getOperator, Toleration::getValue, Toleration::getEffect)
                .containsExactly(key, operator, value, effect);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "a:b:c:d",
                "key:Equal:NoSchedule",
                "key=value:Exists",
                "key=value:Exists:NoSchedule",
                "key:Sometimes",
                "=value:NoSchedule",
                "key=v:NoScheduleX"
            })
    void otherStringFormsAreRejectedWithTheFormsInTheMessage(String spec) {
        assertThatThrownBy(() -> Scheduling.legacyToleration(spec))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(spec)
                .hasMessageContaining("key:Exists:Effect");
    }

    @Test
    void blankEntriesOfTheListAreSkipped() {
        assertThat(Scheduling.legacyTolerations(List.of(" ", "", "gpu:Exists")))
                .extracting(Toleration::getKey)
                .containsExactly("gpu");
    }

    @Test
    void jsonFromTheChartReadsIntoTheModelTypes() {
        Scheduling s = Scheduling.fromJson("""
                {"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":
                  [{"matchExpressions":[{"key":"pool","operator":"In","values":["gpu"]}]}]}}},
                 "nodeSelector":{"nvidia.com/gpu.product":"NVIDIA-L4"},
                 "tolerations":[{"effect":"NoSchedule","key":"nvidia.com/gpu","operator":"Exists"},
                   {"effect":"NoExecute","key":"dedicated","operator":"Equal","value":"llm","tolerationSeconds":30},
                   {"operator":"Exists"}]}
                """);
        assertThat(s.nodeSelector()).containsExactly(Map.entry("nvidia.com/gpu.product", "NVIDIA-L4"));
        assertThat(s.tolerations())
                .extracting(
                        Toleration::getKey,
                        Toleration::getOperator,
                        Toleration::getValue,
                        Toleration::getEffect,
                        Toleration::getTolerationSeconds)
                .containsExactly(
                        tuple("nvidia.com/gpu", "Exists", null, "NoSchedule", null),
                        tuple("dedicated", "Equal", "llm", "NoExecute", 30L),
                        tuple(null, "Exists", null, null, null));
        assertThat(s.affinity()
                        .getNodeAffinity()
                        .getRequiredDuringSchedulingIgnoredDuringExecution()
                        .getNodeSelectorTerms()
                        .get(0)
                        .getMatchExpressions()
                        .get(0)
                        .getValues())
                .containsExactly("gpu");
    }

    @Test
    void theChartsEmptyDefaultsMeanNoConstraints() {
        Scheduling s = Scheduling.fromJson("{\"affinity\":{},\"nodeSelector\":{},\"tolerations\":[]}");
        assertThat(s).isEqualTo(Scheduling.NONE);
        assertThat(s.nodeSelectorOrNull()).isNull();
        assertThat(s.affinity()).isNull();
        assertThat(Scheduling.fromJson(" ")).isEqualTo(Scheduling.NONE);
        assertThat(Scheduling.fromJson("{\"affinity\":null}")).isEqualTo(Scheduling.NONE);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "[]",
                "{\"tolerance\":[]}",
                "{\"tolerations\":[{\"key\":\"k\",\"operator\":\"Sometimes\"}]}",
                "{\"tolerations\":[{\"key\":\"k\",\"effect\":\"NoScheduleX\"}]}",
                "{\"tolerations\":[{\"key\":\"k\",\"operator\":\"Exists\",\"value\":\"v\"}]}",
                "{\"tolerations\":[{\"value\":\"v\"}]}",
                "{\"nodeSelector\":[1]}",
                "{nodeSelector"
            })
    void invalidJsonIsRejected(String json) {
        assertThatThrownBy(() -> Scheduling.fromJson(json)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void olderKeysCombineWithTheJson() {
        Scheduling s = Scheduling.of(
                Optional.of(
                        "{\"nodeSelector\":{\"pool\":\"serving\"},"
                                + "\"tolerations\":[{\"key\":\"nvidia.com/gpu\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]}"),
                Map.of("pool", "old", "zone", "a"),
                List.of("dedicated=llm:NoExecute"));
        assertThat(s.nodeSelector()).containsOnly(Map.entry("pool", "serving"), Map.entry("zone", "a"));
        assertThat(s.tolerations())
                .containsExactly(
                        new TolerationBuilder()
                                .withKey("nvidia.com/gpu")
                                .withOperator("Exists")
                                .withEffect("NoSchedule")
                                .build(),
                        new TolerationBuilder()
                                .withKey("dedicated")
                                .withOperator("Equal")
                                .withValue("llm")
                                .withEffect("NoExecute")
                                .build());
        assertThat(Scheduling.of(Optional.empty(), Map.of(), List.of())).isEqualTo(Scheduling.NONE);
    }

    @Test
    void theChartsOldRenderingAndTheJsonGiveTheSameToleration() {
        assertThat(Scheduling.legacyToleration("nvidia.com/gpu:NoSchedule"))
                .isEqualTo(Scheduling.fromJson(
                                "{\"tolerations\":[{\"key\":\"nvidia.com/gpu\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]}")
                        .tolerations()
                        .get(0));
    }

    @Test
    void theSharedFixtureHoldsTogether() {
        Scheduling s = Scheduling.of(
                Optional.of(SchedulingFixture.JSON),
                SchedulingFixture.LEGACY_NODE_SELECTOR,
                SchedulingFixture.legacyTolerationList());
        assertThat(s.nodeSelector()).isEqualTo(SchedulingFixture.nodeSelector());
        assertThat(s.tolerations()).isEqualTo(SchedulingFixture.tolerations());
        assertThat(s.affinity()).isEqualTo(SchedulingFixture.affinity());
    }
}
