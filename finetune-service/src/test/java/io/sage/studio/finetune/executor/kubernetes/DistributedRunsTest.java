package io.sage.studio.finetune.executor.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TrainerPhase;
import io.sage.studio.finetune.executor.InstanceIdentity;
import io.sage.studio.finetune.executor.RunKind;
import io.sage.studio.finetune.executor.RunListener;
import io.sage.studio.finetune.executor.TaskExecutor;
import io.sage.studio.kube.StudioLabels;

/**
 * Multi-GPU tasks through the {@link KubernetesExecutor} on the fabric8 mock API server (CRUD, plus the pod log
 * endpoint): the test plays the cluster and the engine, installing the engine's CRD (the trimmed published copy) or
 * not, creating the pods and setting the engine's conditions.
 */
class DistributedRunsTest {

    private static final Duration LONG = Duration.ofSeconds(30);
    private static final String NS = TrainerFixtures.NS;

    @TempDir
    Path root;

    private KubernetesMockServer server;
    private KubernetesClient client;
    private StudioHome home;
    private KubernetesExecutor executor;
    private final Recorder listener = new Recorder();

    /** What the executor told the task engine. */
    static final class Recorder implements RunListener {
        final List<String> waiting = new CopyOnWriteArrayList<>();
        final List<String> exits = new CopyOnWriteArrayList<>();

        @Override
        public void exited(String taskId, Integer exitCode, String detail) {
            exits.add(taskId + " " + exitCode + " " + detail);
        }

        @Override
        public void waiting(String taskId, TrainerPhase phase, String message) {
            waiting.add(phase + ": " + message);
        }
    }

    @BeforeEach
    void start() {
        server = TrainerFixtures.mixedServer();
        client = server.createClient();
        home = StudioHome.at(root);
    }

    @AfterEach
    void stop() {
        if (executor != null) {
            executor.close();
        }
        client.close();
        server.destroy();
    }

    private void executor(DistributedEngine engine, Optional<String> kueue) {
        executor = new KubernetesExecutor(
                client,
                KubeSettings.base()
                        .with("distributedEngine", engine)
                        .with("kueueQueue", kueue)
                        .build(),
                home,
                InstanceIdentity.of(home));
    }

    private void installCrd(DistributedEngine engine) {
        client.apiextensions()
                .v1()
                .customResourceDefinitions()
                .resource(CrdSchema.load(DistributedJobsCrdTest.crdFile(engine)).crd())
                .create();
    }

    private static TaskRecord task(String id, int nodes, int gpus) {
        return TrainerFixtures.task(id, nodes, gpus, List.of());
    }

    private Path taskDir(String id) throws Exception {
        return Files.createDirectories(home.finetuneDir().resolve(id));
    }

    private GenericKubernetesResource resource(DistributedEngine engine, String name) {
        return client.genericKubernetesResources(engine.context())
                .inNamespace(NS)
                .withName(name)
                .get();
    }

    /** A pod of the run as the engine would create it: the template's labels and the engine's rank labels. */
    private void pod(DistributedEngine engine, String name, String taskId, int rank, Integer exitCode) {
        Map<String, String> labels = new LinkedHashMap<>(TrainerJobs.labels(taskId));
        labels.put(StudioLabels.STUDIO_INSTANCE, InstanceIdentity.of(home).id());
        Map<String, String> annotations = new LinkedHashMap<>();
        if (engine == DistributedEngine.PYTORCHJOB) {
            labels.put(DistributedEngine.REPLICA_TYPE, rank == 0 ? "master" : "worker");
        } else {
            labels.put(DistributedEngine.JOBSET_JOB_INDEX, "0");
            annotations.put(DistributedEngine.COMPLETION_INDEX, Integer.toString(rank));
        }
        PodBuilder pod = new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NS)
                .withLabels(labels)
                .withAnnotations(annotations)
                .endMetadata()
                .withNewSpec()
                .withNodeName("gpu-node-" + rank)
                .endSpec()
                .withNewStatus()
                .withPhase(exitCode == null ? "Running" : exitCode == 0 ? "Succeeded" : "Failed")
                .endStatus();
        if (exitCode != null) {
            pod.editStatus()
                    .addNewContainerStatus()
                    .withName(engine.container())
                    .withNewState()
                    .withNewTerminated()
                    .withExitCode(exitCode)
                    .endTerminated()
                    .endState()
                    .endContainerStatus()
                    .endStatus();
        }
        Pod built = pod.build();
        client.pods().inNamespace(NS).resource(built).create();
    }

    /** Sets the engine's status condition {@code type} to True, as its controller would. */
    private void condition(DistributedEngine engine, String name, String type, String reason) {
        GenericKubernetesResource current = resource(engine, name);
        List<Map<String, Object>> conditions = new ArrayList<>();
        conditions.add(Map.of("type", type, "status", "True", "reason", reason, "message", "set by the test"));
        current.setAdditionalProperty("status", Map.of("conditions", conditions));
        client.genericKubernetesResources(engine.context())
                .inNamespace(NS)
                .resource(current)
                .updateStatus();
    }

    @ParameterizedTest
    @EnumSource(DistributedEngine.class)
    void aMultiGpuTaskRunsAsOneObjectOfTheEngineAndSucceedsWithRankZerosLog(DistributedEngine engine) throws Exception {
        installCrd(engine);
        executor(engine, Optional.empty());
        Path dir = taskDir("ft-two");
        server.expect()
                .get()
                .withPath("/api/v1/namespaces/" + NS + "/pods/ft-two-rank0/log?pretty=false&container="
                        + engine.container())
                .andReturn(200, "rank 0 trained\n")
                .always();

        assertThat(executor.launch(task("ft-two", 2, 4), dir, RunKind.TRAIN, listener)
                        .jobName())
                .isEqualTo("ft-two");
        assertThat(client.batch().v1().jobs().inNamespace(NS).list().getItems()).isEmpty();
        GenericKubernetesResource created = resource(engine, "ft-two");
        assertThat(created.getKind()).isEqualTo(engine.kind());
        assertThat(CrdSchema.load(DistributedJobsCrdTest.crdFile(engine)).violations(created))
                .isEmpty();
        assertThat(executor.freeSlots()).isEqualTo(3);

        await().atMost(LONG)
                .until(() -> listener.waiting.stream().anyMatch(w -> w.contains("2 trainer pods to be created")));
        pod(engine, "ft-two-rank1", "ft-two", 1, null);
        pod(engine, "ft-two-rank0", "ft-two", 0, null);
        await().atMost(LONG)
                .until(() -> listener.waiting.contains("POD_RUNNING: 2 trainer pods run on gpu-node-1, gpu-node-0")
                        || listener.waiting.contains("POD_RUNNING: 2 trainer pods run on gpu-node-0, gpu-node-1"));

        condition(engine, "ft-two", engine.succeededCondition(), "AllJobsCompleted");
        await().atMost(LONG).until(() -> !listener.exits.isEmpty());
        assertThat(listener.exits).containsExactly("ft-two 0 null");
        assertThat(Files.readString(dir.resolve("logs.txt"))).isEqualTo("rank 0 trained\n");
        assertThat(executor.freeSlots()).isEqualTo(4);
    }

    @ParameterizedTest
    @EnumSource(DistributedEngine.class)
    void aFailedRunEndsWithRankZerosExitCodeAndTheEnginesReason(DistributedEngine engine) throws Exception {
        installCrd(engine);
        executor(engine, Optional.empty());
        executor.launch(task("ft-fail", 2, 1), taskDir("ft-fail"), RunKind.TRAIN, listener);
        pod(engine, "ft-fail-rank0", "ft-fail", 0, 3);
        pod(engine, "ft-fail-rank1", "ft-fail", 1, 137);

        condition(engine, "ft-fail", engine.failedCondition(), "BackoffLimitExceeded");
        await().atMost(LONG).until(() -> !listener.exits.isEmpty());
        assertThat(listener.exits)
                .containsExactly("ft-fail 3 " + engine.kind() + " failed: BackoffLimitExceeded (set by the test)");
    }

    @ParameterizedTest
    @EnumSource(DistributedEngine.class)
    void withoutTheEnginesCrdTheTaskIsRefusedNamingTheEngineAndTheCrd(DistributedEngine engine) throws Exception {
        executor(engine, Optional.empty());

        assertThatThrownBy(() -> executor.launch(task("ft-nocrd", 2, 2), taskDir("ft-nocrd"), RunKind.TRAIN, listener))
                .isInstanceOf(TaskExecutor.LaunchException.class)
                .hasMessageContaining("run as " + engine.kind() + " (" + engine.apiVersion())
                .hasMessageContaining("studio.finetune.kubernetes.distributed-engine=" + engine.configValue())
                .hasMessageContaining("no CRD " + engine.crdName());
        assertThat(resource(engine, "ft-nocrd")).isNull();
        assertThat(executor.freeSlots()).isEqualTo(4);
    }

    @ParameterizedTest
    @EnumSource(DistributedEngine.class)
    void aQueuedRunWaitsForKueueAndCancelDeletesIt(DistributedEngine engine) throws Exception {
        installCrd(engine);
        executor(engine, Optional.of("gpu-queue"));
        TaskRecord task = task("ft-cancel", 4, 8);
        executor.launch(task, taskDir("ft-cancel"), RunKind.TRAIN, listener);
        await().atMost(LONG)
                .until(() -> listener.waiting.contains(
                        "QUEUED_IN_CLUSTER: the " + engine.kind() + " waits for admission of its 4 pods (Kueue)"));
        assertThat(resource(engine, "ft-cancel").getMetadata().getLabels())
                .containsEntry(StudioLabels.KUEUE_QUEUE, "gpu-queue");

        executor.cancel(task, RunKind.TRAIN);
        await().atMost(LONG).until(() -> resource(engine, "ft-cancel") == null);
        await().atMost(LONG).until(() -> !listener.exits.isEmpty());
        assertThat(listener.exits.get(0))
                .startsWith("ft-cancel null the " + engine.kind() + " ft-cancel no longer exists");
    }

    @Test
    void aRestartedServiceFollowsTheRunOfTheTasksAttemptAgain() throws Exception {
        installCrd(DistributedEngine.JOBSET);
        executor(DistributedEngine.JOBSET, Optional.empty());
        TaskRecord task = task("ft-again", 2, 2).toBuilder().attempt(2).build();
        executor.launch(task, taskDir("ft-again"), RunKind.TRAIN, listener);
        executor.close();

        executor(DistributedEngine.JOBSET, Optional.empty());
        assertThat(executor.reattach(
                        task.toBuilder().attempt(3).build(), null, taskDir("ft-again"), RunKind.TRAIN, listener))
                .isFalse();
        assertThat(executor.reattach(task, null, taskDir("ft-again"), RunKind.TRAIN, listener))
                .isTrue();
        condition(DistributedEngine.JOBSET, "ft-again-a2", "Completed", "AllJobsCompleted");
        await().atMost(LONG).until(() -> listener.exits.contains("ft-again 0 null"));
    }

    @Test
    void aSingleGpuTaskStaysAPlainJob() throws Exception {
        installCrd(DistributedEngine.JOBSET);
        executor(DistributedEngine.JOBSET, Optional.empty());

        executor.launch(task("ft-one", 1, 1), taskDir("ft-one"), RunKind.TRAIN, listener);

        assertThat(client.batch().v1().jobs().inNamespace(NS).withName("ft-one").get())
                .isNotNull();
        assertThat(resource(DistributedEngine.JOBSET, "ft-one")).isNull();
    }
}
