package io.sage.studio.finetune.executor.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.finetune.domain.Parallelism;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TrainerPhase;
import io.sage.studio.finetune.domain.TrainingConfig;
import io.sage.studio.finetune.executor.RunKind;
import io.sage.studio.finetune.executor.RunListener;

/**
 * What the tests of the trainer manifests share, so that each says only what it checks: a task of a given shape, the
 * fabric8 mock API server (CRUD, or mixed with set answers), one training launch read back as the Job it created,
 * and a trainer container's environment by name.
 */
final class TrainerFixtures {

    /** The namespace {@link KubeSettings#base()} and {@code KubernetesMergeTest.settings()} run trainers in. */
    static final String NS = "studio";

    private TrainerFixtures() {}

    /** A task of {@code nodes} x {@code gpus} (DDP when more than one GPU) reporting to {@code reportTo}. */
    static TaskRecord task(String id, int nodes, int gpus, List<String> reportTo) {
        TrainingConfig config = new TrainingConfig(
                1,
                1,
                1,
                1e-4,
                128,
                false,
                8,
                16,
                0.05,
                false,
                null,
                null,
                null,
                null,
                42,
                gpus,
                nodes,
                nodes * gpus > 1 ? Parallelism.DDP : Parallelism.NONE,
                null,
                reportTo);
        return TaskRecord.builder().taskId(id).config(config).build();
    }

    /** A started mock API server that stores what is created; the caller destroys it. */
    static KubernetesMockServer crudServer() {
        KubernetesMockServer server = new KubernetesMockServer(
                new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init();
        return server;
    }

    /**
     * A started mock API server that stores what is created and first answers what {@code server.expect()} set up (a
     * pod's log, which CRUD mode does not serve); the caller destroys it.
     */
    static KubernetesMockServer mixedServer() {
        Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
        KubernetesMockServer server = new KubernetesMockServer(
                new Context(), new MockWebServer(), responses, new KubernetesMixedDispatcher(responses), false);
        server.init();
        return server;
    }

    /**
     * Launches the task's training run with {@code executor} (closed afterwards, so nothing keeps watching) and returns
     * the Job it created on {@code client}'s server.
     */
    static Job launchTraining(KubernetesExecutor executor, KubernetesClient client, StudioHome home, TaskRecord task)
            throws Exception {
        Path dir = Files.createDirectories(home.finetuneDir().resolve(task.taskId()));
        try {
            executor.launch(task, dir, RunKind.TRAIN, new RunListener() {
                @Override
                public void exited(String taskId, Integer exitCode, String detail) {}

                @Override
                public void waiting(String taskId, TrainerPhase phase, String message) {}
            });
        } finally {
            executor.close();
        }
        return client.batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .withName(task.taskId())
                .get();
    }

    /**
     * The environment of the Job's (only) trainer container, by variable name in the manifest's order; a name set twice
     * fails the test (the pod would see only the last).
     */
    static Map<String, EnvVar> env(Job job) {
        Map<String, EnvVar> env = new LinkedHashMap<>();
        job.getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getEnv()
                .forEach(v -> assertThat(env.put(v.getName(), v))
                        .as("a second " + v.getName())
                        .isNull());
        return env;
    }
}
