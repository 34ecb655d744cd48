package io.sage.studio.chat.runtime.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.sage.studio.chat.runtime.BackendSpec;
import io.sage.studio.chat.support.Configs;
import io.sage.studio.chat.support.Engines;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.common.models.HubSettings;
import io.sage.studio.events.StudioJson;

/**
 * An engine Deployment's Hugging Face settings: {@code HF_HOME} in the studio home's cache, mounted writable under the
 * read-only studio home (a model vLLM downloads is there for training too), the offline switches, and
 * {@code HF_TOKEN} from the configured Secret by reference - never the token's value.
 */
class EngineHubEnvTest {

    private static final String TOKEN = "hf_service_side_token_0123456789";

    @TempDir
    Path root;

    @Test
    void anEngineReadsTheTokenFromItsSecretAndWritesTheSharedCacheOnly() throws Exception {
        StudioHome home = StudioHome.at(root);
        HubSettings hub = new HubSettings(
                home, Optional.empty(), Optional.empty(), true, Optional.of("hf-token"), "", Map.of("HF_TOKEN", TOKEN));
        EngineManifests manifests =
                new EngineManifests(Configs.chat(Map.of()), home.root().toString(), hub);
        Deployment deployment = manifests.deployment(
                new BackendSpec("b-hub", Engines.BASE_A, "base", false, 0, Map.of()), "engine-key");

        Container container =
                deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        Map<String, EnvVar> env =
                container.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, Function.identity()));
        String cache = home.root().resolve("hf-cache").toString();
        assertThat(env.get("HF_HOME").getValue()).isEqualTo(cache);
        assertThat(env.get("HF_HUB_OFFLINE").getValue()).isEqualTo("1");
        assertThat(env.get("TRANSFORMERS_OFFLINE").getValue()).isEqualTo("1");
        assertThat(env.get("HF_TOKEN").getValue()).isNull();
        assertThat(env.get("HF_TOKEN").getValueFrom().getSecretKeyRef().getName())
                .isEqualTo("hf-token");
        assertThat(env.get("HF_TOKEN").getValueFrom().getSecretKeyRef().getKey())
                .isEqualTo("HF_TOKEN");
        assertThat(StudioJson.mapper().writeValueAsString(deployment)).doesNotContain(TOKEN);

        Map<String, VolumeMount> mounts = container.getVolumeMounts().stream()
                .collect(Collectors.toMap(VolumeMount::getMountPath, Function.identity()));
        assertThat(mounts.get(home.root().toString()).getReadOnly()).isTrue();
        assertThat(mounts.get(cache).getReadOnly()).isNotEqualTo(Boolean.TRUE);
        assertThat(mounts.get(cache).getSubPath()).isEqualTo("hf-cache");
        assertThat(mounts.get(cache).getName()).isEqualTo("models");
    }
}
