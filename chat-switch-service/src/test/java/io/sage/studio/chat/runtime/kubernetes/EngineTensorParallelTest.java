package io.sage.studio.chat.runtime.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.sage.studio.chat.runtime.BackendSpec;
import io.sage.studio.chat.support.Configs;
import io.sage.studio.chat.support.Engines;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.common.models.HubSettings;

/**
 * A tensor-parallel engine's Deployment (issue 21, item 5): the container requests (and is limited to) as many GPUs as
 * the engine shards over, since vLLM sees only the GPUs the device plugin gives it; vLLM gets the flag; the recorded
 * spec keeps the size so a restarted service knows it.
 */
class EngineTensorParallelTest {

    @TempDir
    Path root;

    private EngineManifests manifests(Map<String, String> config) {
        StudioHome home = StudioHome.at(root);
        return new EngineManifests(Configs.chat(config), home.root().toString(), HubSettings.defaults(home, Map.of()));
    }

    @Test
    void aShardedEngineRequestsItsGpusAndGetsTheFlag() {
        EngineManifests manifests = manifests(Map.of());
        BackendSpec spec =
                new BackendSpec("b-tp", Engines.BASE_A, "base", false, 16, Map.of()).withTensorParallel(4, List.of());

        Deployment deployment = manifests.deployment(spec, "engine-key");

        Container engine =
                deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(engine.getResources().getLimits().get("nvidia.com/gpu").getAmount())
                .isEqualTo("4");
        assertThat(engine.getResources().getRequests().get("nvidia.com/gpu").getAmount())
                .isEqualTo("4");
        assertThat(engine.getArgs()).containsSubsequence("--tensor-parallel-size", "4");
        assertThat(EngineManifests.specOf(deployment).tensorParallelSize()).isEqualTo(4);
    }

    @Test
    void oneGpuKeepsTheConfiguredCountAndNoFlag() {
        Deployment deployment = manifests(Map.of("studio.chat.kubernetes.gpu-count", "2"))
                .deployment(new BackendSpec("b-one", Engines.BASE_A, "base", false, 16, Map.of()), "engine-key");

        Container engine =
                deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(engine.getResources().getLimits().get("nvidia.com/gpu").getAmount())
                .isEqualTo("2");
        assertThat(engine.getArgs()).doesNotContain("--tensor-parallel-size");
        assertThat(EngineManifests.specOf(deployment).tensorParallelSize()).isEqualTo(1);

        // a larger gpu-count wins over a smaller tensor-parallel size: the pod gets what the operator configured
        Deployment wide = manifests(Map.of("studio.chat.kubernetes.gpu-count", "8"))
                .deployment(
                        new BackendSpec("b-wide", Engines.BASE_A, "base", false, 16, Map.of())
                                .withTensorParallel(2, List.of()),
                        "engine-key");
        assertThat(wide.getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getResources()
                        .getLimits()
                        .get("nvidia.com/gpu")
                        .getAmount())
                .isEqualTo("8");
    }
}
