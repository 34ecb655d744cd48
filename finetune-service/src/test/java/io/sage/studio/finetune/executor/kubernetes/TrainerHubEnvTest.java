package io.sage.studio.finetune.executor.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.common.models.HubSettings;
import io.sage.studio.events.StudioJson;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.executor.InstanceIdentity;

/**
 * A trainer Job's Hugging Face settings, on the fabric8 mock API server: {@code HF_HOME} on the studio-home volume as
 * the pod sees it, the offline switches, and {@code HF_TOKEN} from the configured Secret by reference - never the
 * token's value, even when the service itself holds one.
 */
class TrainerHubEnvTest {

    private static final String TOKEN = "hf_service_side_token_0123456789";

    @TempDir
    Path root;

    private KubernetesMockServer server;
    private KubernetesClient client;

    @BeforeEach
    void start() {
        server = TrainerFixtures.crudServer();
        client = server.createClient();
    }

    @AfterEach
    void stop() {
        client.close();
        server.destroy();
    }

    @Test
    void aTrainerJobReadsTheTokenFromItsSecretAndSharesTheCacheOnTheStudioHome() throws Exception {
        StudioHome home = StudioHome.at(root);
        HubSettings hub = new HubSettings(
                home,
                Optional.empty(),
                Optional.empty(),
                true,
                Optional.of("hf-token"),
                "token",
                Map.of("HF_TOKEN", TOKEN));
        KubernetesExecutor executor =
                new KubernetesExecutor(client, KubernetesMergeTest.settings(), home, InstanceIdentity.of(home), hub);
        Job job = TrainerFixtures.launchTraining(
                executor, client, home, TaskRecord.builder().taskId("ft-hub").build());
        Map<String, EnvVar> env = TrainerFixtures.env(job);
        assertThat(env.get("HF_HOME").getValue()).isEqualTo("/studio-home/hf-cache");
        assertThat(env.get("HF_HUB_OFFLINE").getValue()).isEqualTo("1");
        assertThat(env.get("TRANSFORMERS_OFFLINE").getValue()).isEqualTo("1");
        EnvVar token = env.get("HF_TOKEN");
        assertThat(token.getValue()).isNull();
        assertThat(token.getValueFrom().getSecretKeyRef().getName()).isEqualTo("hf-token");
        assertThat(token.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("token");
        assertThat(env).containsKeys("SAGE_TASK_ID", "PYTHONUNBUFFERED");
        assertThat(StudioJson.mapper().writeValueAsString(job)).doesNotContain(TOKEN);
    }
}
