package io.sage.studio.finetune.executor.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;

/** A trainer pod's log kept with its task, on the fabric8 mock API server's pod log endpoint. */
class PodLogsTest {

    @TempDir
    Path dir;

    private KubernetesMockServer server;
    private KubernetesClient client;

    @BeforeEach
    void start() {
        server = TrainerFixtures.mixedServer();
        client = server.createClient();
    }

    @AfterEach
    void stop() {
        client.close();
        server.destroy();
    }

    private static Pod pod(String name) {
        return new PodBuilder().withNewMetadata().withName(name).endMetadata().build();
    }

    private void log(String pod, String container, int status, String text) {
        server.expect()
                .get()
                .withPath("/api/v1/namespaces/" + TrainerFixtures.NS + "/pods/" + pod + "/log?pretty=false&container="
                        + container)
                .andReturn(status, text)
                .always();
    }

    @Test
    void theContainersLogIsAppendedToTheTasksLogEndingWithANewline() throws Exception {
        log("ft-log-abc", "trainer", 200, "step 1\nstep 2");
        log("ft-log-abc", "sidecar", 200, "not this one\n");
        Path file = Files.writeString(dir.resolve("logs.txt"), "attempt 1\n");

        PodLogs.copy(client, TrainerFixtures.NS, pod("ft-log-abc"), "trainer", file, "ft-log");

        assertThat(Files.readString(file)).isEqualTo("attempt 1\nstep 1\nstep 2\n");
    }

    @Test
    void aLogTheServiceMayNotReadLeavesTheFileAsItWas() throws Exception {
        log("ft-gone-abc", "trainer", 403, "pods \"ft-gone-abc\" is forbidden: cannot get resource \"pods/log\"");
        Path file = dir.resolve("logs.txt");

        PodLogs.copy(client, TrainerFixtures.NS, pod("ft-gone-abc"), "trainer", file, "ft-gone");

        assertThat(file).doesNotExist();
    }
}
