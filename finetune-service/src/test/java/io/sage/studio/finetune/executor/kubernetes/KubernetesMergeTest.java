package io.sage.studio.finetune.executor.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.finetune.api.TaskViewCache;
import io.sage.studio.finetune.dataset.DatasetService;
import io.sage.studio.finetune.domain.MergeRun;
import io.sage.studio.finetune.domain.MergeState;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskRequest;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.domain.TrainerPhase;
import io.sage.studio.finetune.executor.InstanceIdentity;
import io.sage.studio.finetune.executor.RunKind;
import io.sage.studio.finetune.queue.TaskQueue;
import io.sage.studio.finetune.task.TaskEngine;
import io.sage.studio.finetune.task.TaskStore;
import io.sage.studio.kube.Scheduling;
import io.sage.studio.kube.SchedulingFixture;
import io.sage.studio.kube.StudioLabels;

/**
 * Merging a task's adapter with the Kubernetes executor: a Job of its own ({@code <task_id>-merge}, labelled
 * {@code studio.sage.io/run=merge}) built by {@link TrainerJobs}, on the fabric8 mock API server in CRUD mode. The
 * test plays the cluster and the merge pod (Job status, {@code progress.jsonl} and {@code merged_model/} on the
 * shared home).
 */
class KubernetesMergeTest {

    private static final Duration LONG = Duration.ofSeconds(30);
    private static final String NS = "studio";

    @TempDir
    Path root;

    private KubernetesMockServer server;
    private KubernetesClient client;
    private StudioHome home;
    private TaskEngine engine;
    private TaskStore store;
    private TaskViewCache views;

    /** The executor settings of the Job tests without Kueue (also used by {@link KubernetesResumeTest}). */
    static KubernetesExecutorTest.Settings settings() {
        return new KubernetesExecutorTest.Settings(
                Optional.of(NS),
                "registry.example/sage-trainer:1.2.3",
                "IfNotPresent",
                List.of("python3", "-m", "sage_trainer"),
                "studio-home-pvc",
                "/studio-home",
                1,
                "nvidia.com/gpu",
                "4",
                "24Gi",
                Optional.of(SchedulingFixture.JSON),
                Map.of(),
                Optional.empty(),
                Optional.of("nvidia"),
                Optional.of("sage-trainer"),
                Optional.empty(),
                Optional.empty(),
                0,
                3600,
                90,
                2,
                Duration.ofMillis(50));
    }

    @BeforeEach
    void start() throws IOException {
        server = new KubernetesMockServer(
                new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init();
        client = server.createClient();
        home = StudioHome.at(root);
        startEngine();
    }

    private void startEngine() throws IOException {
        KubernetesExecutor executor = new KubernetesExecutor(client, settings(), home);
        store = new TaskStore(home.finetuneDir(), AtomicFiles::write);
        TaskQueue queue = new TaskQueue();
        views = new TaskViewCache(store, queue, 10);
        engine = new TaskEngine(
                store,
                queue,
                executor,
                new DatasetService(home, new KubernetesExecutorTest.Limits(1 << 20, 1 << 16, 10)),
                request -> List.of(),
                views,
                List.of(),
                new TaskEngine.Settings(Duration.ofMillis(100), Duration.ofMillis(20), Duration.ofSeconds(1)));
        engine.start();
    }

    @AfterEach
    void stop() {
        engine.close();
        client.close();
        server.destroy();
    }

    private Job job(String name) {
        return client.batch().v1().jobs().inNamespace(NS).withName(name).get();
    }

    private void finishJob(String name, String type) {
        Job job = job(name);
        job.setStatus(new JobStatusBuilder()
                .withSucceeded(type.equals("Complete") ? 1 : 0)
                .withFailed(type.equals("Failed") ? 1 : 0)
                .withConditions(new JobConditionBuilder()
                        .withType(type)
                        .withStatus("True")
                        .withReason(type)
                        .build())
                .build());
        client.batch().v1().jobs().inNamespace(NS).resource(job).updateStatus();
    }

    private static void progress(Path taskDir, String... lines) throws IOException {
        Files.writeString(
                taskDir.resolve("progress.jsonl"),
                String.join("\n", lines) + "\n",
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    private MergeState state(String id) {
        MergeRun run = store.get(id).orElseThrow().mergeRun();
        return run == null ? null : run.state();
    }

    /** A LoRA task whose training Job completed with {@code lora/} on the shared home. */
    private Task trained() throws IOException {
        Path data = Files.createDirectories(home.datasetsDir()).resolve("d.jsonl");
        Files.writeString(data, "{\"prompt\":\"p\",\"completion\":\"c\"}\n");
        Task task = engine.lifecycle()
                .create(
                        new TaskRequest(
                                "Qwen/Qwen2.5-0.5B-Instruct",
                                data.toString(),
                                1,
                                1,
                                1,
                                1e-4,
                                128,
                                null,
                                "lora",
                                null,
                                null,
                                null,
                                null,
                                false,
                                null,
                                null),
                        "alice");
        await().atMost(LONG).until(() -> job(task.taskId()) != null);
        Path dir = Path.of(task.outputDir());
        Files.writeString(Files.createDirectories(dir.resolve("lora")).resolve("adapter_config.json"), "{}");
        progress(
                dir,
                "{\"type\":\"artifact\",\"kind\":\"lora\",\"path\":\"lora\"}",
                "{\"type\":\"phase\",\"phase\":\"done\"}");
        finishJob(task.taskId(), "Complete");
        await().atMost(LONG).until(() -> views.get(task.taskId()).status() == TaskStatus.COMPLETED);
        return views.get(task.taskId());
    }

    @Test
    void theMergeJobIsTheTrainerJobWithMergeArgsItsOwnNameAndLabel() {
        Scheduling scheduling = TrainerJobs.scheduling(settings());
        String inPod = "/studio-home/studio_finetune/ft-1";
        Job train = TrainerJobs.build("ft-1", NS, inPod, settings(), scheduling, "install-1");
        Job merge = TrainerJobs.build("ft-1", RunKind.MERGE, 1, NS, inPod, settings(), scheduling, "install-1");

        assertThat(merge.getMetadata().getName()).isEqualTo("ft-1-merge");
        assertThat(merge.getMetadata().getLabels())
                .containsEntry(StudioLabels.TASK_ID, "ft-1")
                .containsEntry(StudioLabels.STUDIO_INSTANCE, "install-1")
                .containsEntry(RunKind.LABEL, "merge");
        assertThat(merge.getSpec().getTemplate().getMetadata().getLabels()).containsEntry(RunKind.LABEL, "merge");
        assertThat(train.getMetadata().getLabels()).doesNotContainKey(RunKind.LABEL);
        assertThat(TrainerJobs.isKind(merge.getMetadata().getLabels(), RunKind.MERGE))
                .isTrue();
        assertThat(TrainerJobs.isKind(train.getMetadata().getLabels(), RunKind.MERGE))
                .isFalse();
        assertThat(TrainerJobs.isKind(train.getMetadata().getLabels(), RunKind.TRAIN))
                .isTrue();

        Container container =
                merge.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(container.getArgs()).containsExactly("merge", "--task-dir", inPod);
        assertThat(container.getWorkingDir()).isEqualTo(inPod);
        Container trainer =
                train.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(container.getImage()).isEqualTo(trainer.getImage());
        assertThat(container.getCommand()).isEqualTo(trainer.getCommand());
        assertThat(container.getResources()).isEqualTo(trainer.getResources());
        assertThat(container.getEnv()).isEqualTo(trainer.getEnv());
        assertThat(merge.getSpec().getTemplate().getSpec().getAffinity())
                .isEqualTo(train.getSpec().getTemplate().getSpec().getAffinity());
    }

    @Test
    void aMergeRunsAsItsOwnJobAndRegistersMergedModelWhenItCompletes() throws IOException {
        Task task = trained();
        Path dir = Path.of(task.outputDir());
        engine.lifecycle().merge(task.taskId(), "alice", false);
        String name = task.taskId() + "-merge";
        await().atMost(LONG).until(() -> job(name) != null);
        assertThat(job(name).getMetadata().getLabels()).containsEntry(RunKind.LABEL, "merge");
        assertThat(state(task.taskId())).isEqualTo(MergeState.RUNNING);
        assertThat(views.get(task.taskId()).phase()).isEqualTo(TrainerPhase.MERGING);
        assertThat(store.get(task.taskId()).orElseThrow().mergeRun().run().jobName())
                .isEqualTo(name);

        Map<String, String> podLabels = TrainerJobs.labels(task.taskId(), RunKind.MERGE);
        podLabels.put(StudioLabels.STUDIO_INSTANCE, InstanceIdentity.of(home).id());
        client.pods()
                .inNamespace(NS)
                .resource(new PodBuilder()
                        .withNewMetadata()
                        .withName(name + "-abcde")
                        .withLabels(podLabels)
                        .endMetadata()
                        .withNewSpec()
                        .addNewContainer()
                        .withName("trainer")
                        .withImage("x")
                        .endContainer()
                        .endSpec()
                        .withNewStatus()
                        .withPhase("Pending")
                        .endStatus()
                        .build())
                .create();
        await().atMost(LONG).until(() -> views.get(task.taskId()).statusMessage() != null);
        assertThat(views.get(task.taskId()).status()).isEqualTo(TaskStatus.COMPLETED);

        Files.writeString(Files.createDirectories(dir.resolve("merged_model")).resolve("config.json"), "{}");
        progress(
                dir,
                "{\"type\":\"phase\",\"phase\":\"merging\"}",
                "{\"type\":\"artifact\",\"kind\":\"merged_model\",\"path\":\"merged_model\"}",
                "{\"type\":\"phase\",\"phase\":\"done\"}");
        finishJob(name, "Complete");
        await().atMost(LONG).until(() -> state(task.taskId()) == MergeState.SUCCEEDED);
        Task merged = views.get(task.taskId());
        assertThat(merged.status()).isEqualTo(TaskStatus.COMPLETED);
        assertThat(merged.artifacts())
                .containsEntry("merged_model", dir.resolve("merged_model").toString());
        assertThat(merged.statusMessage()).isNull();
        await().atMost(LONG).until(() -> job(name) == null);
        assertThat(job(task.taskId())).as("the training Job is left alone").isNotNull();
    }

    @Test
    void cancelDeletesOnlyTheMergeJobAndAFailedMergeJobFailsTheMerge() throws IOException {
        Task task = trained();
        String name = task.taskId() + "-merge";
        engine.lifecycle().merge(task.taskId(), "alice", false);
        await().atMost(LONG).until(() -> job(name) != null);
        engine.lifecycle().cancel(task.taskId());
        await().atMost(LONG).until(() -> state(task.taskId()) == MergeState.CANCELLED);
        assertThat(job(name)).isNull();
        assertThat(job(task.taskId())).isNotNull();
        assertThat(views.get(task.taskId()).status()).isEqualTo(TaskStatus.COMPLETED);

        engine.lifecycle().merge(task.taskId(), "alice", false);
        await().atMost(LONG).until(() -> job(name) != null && state(task.taskId()) == MergeState.RUNNING);
        progress(
                Path.of(task.outputDir()),
                "{\"type\":\"error\",\"code\":\"model_not_found\",\"message\":\"base model not found\"}");
        finishJob(name, "Failed");
        await().atMost(LONG).until(() -> state(task.taskId()) == MergeState.FAILED);
        MergeRun run = store.get(task.taskId()).orElseThrow().mergeRun();
        assertThat(run.errorCode()).isEqualTo("model_not_found");
        assertThat(views.get(task.taskId()).artifacts()).containsOnlyKeys("lora");
    }

    @Test
    void aRestartedServiceFindsTheMergeJobAgainByItsLabelNotTheTrainingJob() throws IOException {
        Task task = trained();
        String name = task.taskId() + "-merge";
        engine.lifecycle().merge(task.taskId(), "alice", false);
        await().atMost(LONG)
                .until(() -> job(name) != null
                        && store.get(task.taskId()).orElseThrow().mergeRun().run() != null);
        engine.close();

        startEngine();
        assertThat(state(task.taskId())).isEqualTo(MergeState.RUNNING);
        Path dir = Path.of(task.outputDir());
        Files.writeString(Files.createDirectories(dir.resolve("merged_model")).resolve("config.json"), "{}");
        progress(dir, "{\"type\":\"phase\",\"phase\":\"done\"}");
        finishJob(name, "Complete");
        await().atMost(LONG).until(() -> state(task.taskId()) == MergeState.SUCCEEDED);
        assertThat(views.get(task.taskId()).artifacts()).containsKey("merged_model");
    }
}
