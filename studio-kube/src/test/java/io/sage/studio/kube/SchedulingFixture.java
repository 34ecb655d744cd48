package io.sage.studio.kube;

import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;

/**
 * One scheduling configuration and the pod fields it must give, shared (test-jar) by finetune's and chat-switch's
 * Kubernetes tests: the same settings make the same trainer and engine pods.
 */
public final class SchedulingFixture {

    /** The JSON the chart writes into {@code …kubernetes.scheduling} (Helm's toJson sorts the keys). */
    public static final String JSON =
            "{\"affinity\":{\"nodeAffinity\":{\"preferredDuringSchedulingIgnoredDuringExecution\":"
                    + "[{\"preference\":{\"matchExpressions\":[{\"key\":\"pool\",\"operator\":\"In\",\"values\":[\"gpu\"]}]},"
                    + "\"weight\":10}]}},\"nodeSelector\":{\"nvidia.com/gpu.present\":\"true\"},"
                    + "\"tolerations\":[{\"effect\":\"NoSchedule\",\"key\":\"nvidia.com/gpu\",\"operator\":\"Exists\"}]}";

    /** The older {@code …kubernetes.tolerations} value, read for one release. */
    public static final String LEGACY_TOLERATIONS = "dedicated=llm:NoExecute,team:Exists:NoSchedule";

    /** The older {@code …kubernetes.node-selector."<label>"} entries, read for one release. */
    public static final Map<String, String> LEGACY_NODE_SELECTOR = Map.of("topology.kubernetes.io/zone", "zone-a");

    private SchedulingFixture() {}

    public static List<String> legacyTolerationList() {
        return List.of(LEGACY_TOLERATIONS.split(","));
    }

    public static Map<String, String> nodeSelector() {
        return Map.of("nvidia.com/gpu.present", "true", "topology.kubernetes.io/zone", "zone-a");
    }

    public static List<Toleration> tolerations() {
        return List.of(
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
                        .build(),
                new TolerationBuilder()
                        .withKey("team")
                        .withOperator("Exists")
                        .withEffect("NoSchedule")
                        .build());
    }

    public static Affinity affinity() {
        return new AffinityBuilder()
                .withNewNodeAffinity()
                .addNewPreferredDuringSchedulingIgnoredDuringExecution()
                .withWeight(10)
                .withNewPreference()
                .addNewMatchExpression()
                .withKey("pool")
                .withOperator("In")
                .withValues("gpu")
                .endMatchExpression()
                .endPreference()
                .endPreferredDuringSchedulingIgnoredDuringExecution()
                .endNodeAffinity()
                .build();
    }
}
