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

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.sage.studio.common.error.HttpStatuses;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.events.StudioJson;
import io.sage.studio.finetune.api.TaskViewCache;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.sage.studio.finetune.dataset.DatasetService;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskRequest;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.domain.TrainerPhase;
import io.sage.studio.finetune.executor.InstanceIdentity;
import io.sage.studio.finetune.queue.TaskQueue;
import io.sage.studio.finetune.task.TaskEngine;
import io.sage.studio.finetune.task.TaskLifecycle;
import io.sage.studio.finetune.task.TaskStore;
import io.sage.studio.kube.SchedulingFixture;
import io.sage.studio.kube.StudioLabels;

/**
 * The Kubernetes executor against the fabric8 mock API server in CRUD mode. The test plays the cluster: it sets
 * Job and pod status and writes the trainer's {@code progress.jsonl} on the shared studio home, as a trainer pod would.
 */
class KubernetesExecutorTest {

    private static final Duration LONG = Duration.ofSeconds(30);
    private static final String NS = "studio";

    @TempDir
    Path root;

    private KubernetesMockServer server;
    private KubernetesClient client;
    private StudioHome home;
    private Tasks manager;

    record Settings(
            Optional<String> namespace,
            String image,
            String imagePullPolicy,
            List<String> command,
            String homeClaim,
            String homeMountPath,
            int gpuCount,
            String gpuResource,
            String cpuRequest,
            String memory,
            Optional<String> scheduling,
            Map<String, String> nodeSelector,
            Optional<List<String>> tolerations,
            Optional<String> runtimeClassName,
            Optional<String> serviceAccount,
            Optional<Long> fsGroup,
            Optional<String> kueueQueue,
            int backoffLimit,
            long activeDeadlineSeconds,
            long terminationGracePeriodSeconds,
            int concurrency,
            Duration pollInterval)
            implements FinetuneConfig.Kubernetes {

        /** Multi-GPU tasks are DistributedRunsTest's; these run single-GPU Jobs. */
        @Override
        public DistributedEngine distributedEngine() {
            return DistributedEngine.JOBSET;
        }

        @Override
        public String trainjobRuntime() {
            return "torch-distributed";
        }
    }

    record Limits(long maxBytes, int maxRecordBytes, int maxErrors) implements FinetuneConfig.Datasets {

        @Override
        public int validationThreads() {
            return 2;
        }
    }

    private static Settings settings(Optional<String> kueue) {
        return new Settings(
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
                SchedulingFixture.LEGACY_NODE_SELECTOR,
                Optional.of(SchedulingFixture.legacyTolerationList()),
                Optional.of("nvidia"),
                Optional.of("sage-trainer"),
                Optional.of(185L),
                kueue,
                0,
                3600,
                240,
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
        manager = manager(Optional.empty());
    }

    /** The task engine over the executor under test, with the views the API shows. */
    private record Tasks(TaskEngine engine, TaskLifecycle lifecycle, TaskViewCache views) implements AutoCloseable {

        Task get(String id) {
            return views.get(id);
        }

        Task create(TaskRequest request, String owner) throws IOException {
            return lifecycle.create(request, owner);
        }

        Task cancel(String id) {
            return lifecycle.cancel(id);
        }

        @Override
        public void close() {
            engine.close();
        }
    }

    private Tasks manager(Optional<String> kueue) throws IOException {
        KubernetesExecutor executor = new KubernetesExecutor(client, settings(kueue), home);
        TaskStore store = new TaskStore(home.finetuneDir(), AtomicFiles::write);
        TaskQueue queue = new TaskQueue();
        TaskViewCache views = new TaskViewCache(store, queue, 10);
        TaskEngine engine = new TaskEngine(
                store,
                queue,
                executor,
                new DatasetService(home, new Limits(1 << 20, 1 << 16, 10)),
                request -> List.of(),
                views,
                List.of(),
                new TaskEngine.Settings(Duration.ofMillis(100), Duration.ofMillis(20), Duration.ofSeconds(1)));
        engine.start();
        return new Tasks(engine, engine.lifecycle(), views);
    }

    @AfterEach
    void stop() {
        manager.close();
        client.close();
        server.destroy();
    }

    private Task create() throws IOException {
        Path data = Files.createDirectories(home.datasetsDir()).resolve("d.jsonl");
        Files.writeString(data, "{\"prompt\":\"p\",\"completion\":\"c\"}\n");
        return manager.create(
                new TaskRequest(
                        "Qwen/Qwen2.5-0.5B-Instruct",
                        data.toString(),
                        1,
                        1,
                        1,
                        1e-4,
                        128,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        false,
                        null,
                        null),
                "alice");
    }

    /** The labels of a trainer pod of this install's Job for task {@code id}. */
    private Map<String, String> podLabels(String id) {
        Map<String, String> labels = TrainerJobs.labels(id);
        labels.put(StudioLabels.STUDIO_INSTANCE, InstanceIdentity.of(home).id());
        return labels;
    }

    private Job job(String id) {
        return client.batch().v1().jobs().inNamespace(NS).withName(id).get();
    }

    private void pod(String id, String phase, Pod status) {
        Pod pod = new PodBuilder()
                .withNewMetadata()
                .withName(id + "-abcde")
                .withNamespace(NS)
                .withLabels(podLabels(id))
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("trainer")
                .withImage("x")
                .endContainer()
                .withNodeName("gpu-node-1")
                .endSpec()
                .withStatus(status.getStatus())
                .build();
        pod.getStatus().setPhase(phase);
        client.pods().inNamespace(NS).resource(pod).createOr(existing -> existing.update());
    }

    private void finishJob(String id, String type, String reason) {
        Job job = job(id);
        job.setStatus(new JobStatusBuilder()
                .withSucceeded(type.equals("Complete") ? 1 : 0)
                .withFailed(type.equals("Failed") ? 1 : 0)
                .withConditions(new JobConditionBuilder()
                        .withType(type)
                        .withStatus("True")
                        .withReason(reason)
                        .withMessage(reason + " happened")
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

    @Test
    void eachTaskBecomesAJobWithGpuVolumeSchedulingKnobsAndLabels() throws IOException {
        Task task = create();
        await().atMost(LONG).until(() -> job(task.taskId()) != null);
        Job job = job(task.taskId());
        Map<String, String> podLabels = StudioLabels.workload("sage-trainer", "finetune-job", "sage-studio-finetune");
        podLabels.put(StudioLabels.TASK_ID, task.taskId());
        podLabels.put(StudioLabels.STUDIO_INSTANCE, InstanceIdentity.of(home).id());
        assertThat(job.getMetadata().getLabels()).isEqualTo(podLabels);
        assertThat(job.getSpec().getTemplate().getMetadata().getLabels()).isEqualTo(podLabels);
        assertThat(job.getSpec().getBackoffLimit()).isZero();
        assertThat(job.getSpec().getActiveDeadlineSeconds()).isEqualTo(3600);
        assertThat(job.getSpec().getSuspend()).isNull();
        var pod = job.getSpec().getTemplate().getSpec();
        assertThat(pod.getRestartPolicy()).isEqualTo("Never");
        assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(240); // time for the checkpoint on SIGTERM
        assertThat(pod.getRuntimeClassName()).isEqualTo("nvidia");
        assertThat(pod.getServiceAccountName()).isEqualTo("sage-trainer");
        assertThat(pod.getSecurityContext().getFsGroup()).isEqualTo(185L);
        assertThat(pod.getSecurityContext().getRunAsGroup()).isEqualTo(185L);
        // The same settings as chat-switch's KubernetesSwitchTest, the same pod fields (studio-kube's
        // SchedulingFixture).
        assertThat(pod.getNodeSelector()).isEqualTo(SchedulingFixture.nodeSelector());
        assertThat(pod.getTolerations()).isEqualTo(SchedulingFixture.tolerations());
        assertThat(pod.getAffinity()).isEqualTo(SchedulingFixture.affinity());
        assertThat(pod.getVolumes().get(0).getPersistentVolumeClaim().getClaimName())
                .isEqualTo("studio-home-pvc");
        Container trainer = pod.getContainers().get(0);
        String inPod = "/studio-home/studio_finetune/" + task.taskId();
        assertThat(trainer.getImage()).isEqualTo("registry.example/sage-trainer:1.2.3");
        assertThat(trainer.getCommand()).containsExactly("python3", "-m", "sage_trainer");
        assertThat(trainer.getArgs()).containsExactly("--spec", inPod + "/job.json");
        assertThat(trainer.getWorkingDir()).isEqualTo(inPod);
        assertThat(trainer.getVolumeMounts().get(0).getMountPath()).isEqualTo("/studio-home");
        assertThat(trainer.getResources().getLimits())
                .containsEntry("nvidia.com/gpu", new Quantity("1"))
                .containsEntry("memory", new Quantity("24Gi"));
        assertThat(trainer.getResources().getRequests()).containsEntry("cpu", new Quantity("4"));
        assertThat(manager.get(task.taskId()).status()).isEqualTo(TaskStatus.PREPARING);
        assertThat(manager.get(task.taskId()).executor()).isEqualTo("kubernetes");
        assertThat(job.getMetadata().getLabels())
                .containsEntry(
                        StudioLabels.STUDIO_INSTANCE, InstanceIdentity.of(home).id());
    }

    @Test
    void theTrainerPodGetsOnlyItsOwnEnvironmentNothingOfTheServices() throws IOException {
        assertThat(System.getenv())
                .as("the service's environment holds secrets (surefire sets them)")
                .containsKeys("STUDIO_CHAT_CLOUD_API_KEY", "STUDIO_EVENTS_SIGNING_KEY");
        Task task = create();
        await().atMost(LONG).until(() -> job(task.taskId()) != null);
        Container trainer = job(task.taskId())
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);
        assertThat(trainer.getEnv())
                .extracting(e -> e.getName() + "=" + e.getValue())
                .containsExactlyInAnyOrder(
                        "SAGE_TASK_ID=" + task.taskId(),
                        "PYTHONUNBUFFERED=1",
                        // the shared Hugging Face cache on the studio-home volume (HubSettings' default)
                        "HF_HOME=/studio-home/hf-cache");
        assertThat(trainer.getEnvFrom()).isEmpty();
        assertThat(StudioJson.mapper().writeValueAsString(job(task.taskId())))
                .doesNotContain(System.getenv("STUDIO_CHAT_CLOUD_API_KEY"))
                .doesNotContain(System.getenv("STUDIO_EVENTS_SIGNING_KEY"));
    }

    @Test
    void aCopiedInTasksJobNameAndNamespaceAreNeverAdoptedOrDeleted() throws IOException {
        String id = "ft-20250101-000000-c0p1ed";
        // Jobs this install did not create: one in the namespace the copied handle names, one in ours, both
        // labelled with the task id (another install running the same task folder).
        Job foreign = new JobBuilder()
                .withNewMetadata()
                .withName(id)
                .withNamespace("victim")
                .withLabels(TrainerJobs.labels(id))
                .endMetadata()
                .withNewSpec()
                .withNewTemplate()
                .withNewSpec()
                .addNewContainer()
                .withName("trainer")
                .withImage("x")
                .endContainer()
                .withRestartPolicy("Never")
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
        client.batch().v1().jobs().inNamespace("victim").resource(foreign).create();
        foreign.getMetadata().setNamespace(NS);
        client.batch().v1().jobs().inNamespace(NS).resource(foreign).create();
        manager.close();
        Path dir = Files.createDirectories(home.finetuneDir().resolve(id));
        Files.writeString(dir.resolve(TaskStore.META_FILE), """
                {"task_id":"%s","model_name":"m","status":"training","created_at":"2025-01-01T00:00:00Z",
                 "owner":"alice","revision":3,"executor":"kubernetes",
                 "run":{"executor":"kubernetes","namespace":"victim","job_name":"%s",
                        "instance_id":"0b0b0b0b-0000-4000-8000-000000000001"}}
                """.formatted(id, id));

        manager = manager(Optional.empty());
        assertThat(manager.get(id).status())
                .as("settled from its files, not adopted")
                .isEqualTo(TaskStatus.FAILED);
        try {
            manager.cancel(id);
        } catch (StudioException e) {
            assertThat(HttpStatuses.of(e)).isEqualTo(409);
        }
        await().during(Duration.ofMillis(300))
                .atMost(LONG)
                .until(() -> client.batch()
                                        .v1()
                                        .jobs()
                                        .inNamespace("victim")
                                        .withName(id)
                                        .get()
                                != null
                        && client.batch()
                                        .v1()
                                        .jobs()
                                        .inNamespace(NS)
                                        .withName(id)
                                        .get()
                                != null);
    }

    @Test
    void aKueueQueueSubmitsTheJobSuspendedAndLabelled() throws IOException {
        manager.close();
        manager = manager(Optional.of("gpu-queue"));
        Task task = create();
        await().atMost(LONG).until(() -> job(task.taskId()) != null);
        assertThat(job(task.taskId()).getMetadata().getLabels())
                .containsEntry("kueue.x-k8s.io/queue-name", "gpu-queue");
        assertThat(job(task.taskId()).getSpec().getSuspend()).isTrue();
        await().atMost(LONG).until(() -> manager.get(task.taskId()).phase() == TrainerPhase.QUEUED_IN_CLUSTER);
    }

    @Test
    void podsThatWaitAreShownAsUnschedulableOrFailingImagePulls() throws IOException {
        Task task = create();
        await().atMost(LONG).until(() -> job(task.taskId()) != null);
        await().atMost(LONG).until(() -> manager.get(task.taskId()).phase() == TrainerPhase.SCHEDULING);

        pod(
                task.taskId(),
                "Pending",
                new PodBuilder()
                        .withNewStatus()
                        .addNewCondition()
                        .withType("PodScheduled")
                        .withStatus("False")
                        .withReason("Unschedulable")
                        .withMessage("0/3 nodes are available: 3 Insufficient nvidia.com/gpu.")
                        .endCondition()
                        .endStatus()
                        .build());
        await().atMost(LONG).until(() -> manager.get(task.taskId()).phase() == TrainerPhase.UNSCHEDULABLE);
        assertThat(manager.get(task.taskId()).statusMessage()).contains("Insufficient nvidia.com/gpu");
        assertThat(manager.get(task.taskId()).status()).isEqualTo(TaskStatus.PREPARING);

        pod(
                task.taskId(),
                "Pending",
                new PodBuilder()
                        .withNewStatus()
                        .addNewContainerStatus()
                        .withName("trainer")
                        .withNewState()
                        .withNewWaiting()
                        .withReason("ImagePullBackOff")
                        .withMessage("Back-off pulling image")
                        .endWaiting()
                        .endState()
                        .endContainerStatus()
                        .endStatus()
                        .build());
        await().atMost(LONG).until(() -> manager.get(task.taskId()).phase() == TrainerPhase.IMAGE_PULL_FAILED);
        assertThat(manager.get(task.taskId()).statusMessage()).contains("ImagePullBackOff");
    }

    @Test
    void progressFromTheSharedVolumeAndACompletedJobCompleteTheTask() throws IOException {
        Task task = create();
        Path dir = Path.of(task.outputDir());
        await().atMost(LONG).until(() -> job(task.taskId()) != null);
        pod(
                task.taskId(),
                "Running",
                new PodBuilder().withNewStatus().endStatus().build());
        progress(
                dir,
                "{\"type\":\"phase\",\"phase\":\"training\"}",
                "{\"type\":\"metrics\",\"step\":5,\"total_steps\":10,\"epoch\":0.5,\"loss\":1.25,\"learning_rate\":0.0001}");
        await().atMost(LONG).until(() -> manager.get(task.taskId()).step() == 5);
        assertThat(manager.get(task.taskId()).status()).isEqualTo(TaskStatus.TRAINING);
        assertThat(manager.get(task.taskId()).progress()).isEqualTo(50.0);
        assertThat(manager.get(task.taskId()).latestLoss()).isEqualTo(1.25);

        Files.createDirectories(dir.resolve("lora"))
                .resolve("adapter_config.json")
                .toFile()
                .createNewFile();
        progress(
                dir,
                "{\"type\":\"metrics\",\"step\":10,\"total_steps\":10,\"epoch\":1.0,\"loss\":0.5}",
                "{\"type\":\"artifact\",\"kind\":\"lora\",\"path\":\"lora\"}",
                "{\"type\":\"phase\",\"phase\":\"done\"}");
        finishJob(task.taskId(), "Complete", "Completed");
        await().atMost(LONG).until(() -> manager.get(task.taskId()).status() == TaskStatus.COMPLETED);
        assertThat(manager.get(task.taskId()).artifacts())
                .containsEntry("lora", dir.resolve("lora").toString());
        assertThat(manager.get(task.taskId()).latestLoss()).isEqualTo(0.5);
    }

    @Test
    void aFailedJobFailsTheTaskWithTheTrainersErrorOrTheJobCondition() throws IOException {
        Task oom = create();
        await().atMost(LONG).until(() -> job(oom.taskId()) != null);
        progress(
                Path.of(oom.outputDir()),
                "{\"type\":\"error\",\"code\":\"cuda_oom\",\"message\":\"CUDA out of memory\"}");
        finishJob(oom.taskId(), "Failed", "BackoffLimitExceeded");
        await().atMost(LONG).until(() -> manager.get(oom.taskId()).status() == TaskStatus.FAILED);
        assertThat(manager.get(oom.taskId()).errorCode()).isEqualTo("cuda_oom");

        Task deadline = create();
        await().atMost(LONG).until(() -> job(deadline.taskId()) != null);
        finishJob(deadline.taskId(), "Failed", "DeadlineExceeded");
        await().atMost(LONG).until(() -> manager.get(deadline.taskId()).status() == TaskStatus.FAILED);
        assertThat(manager.get(deadline.taskId()).errorMessage()).contains("DeadlineExceeded");
    }

    @Test
    void cancelDeletesTheJobAndAJobDeletedOutsideFailsTheTask() throws IOException {
        Task cancelled = create();
        Task lost = create();
        await().atMost(LONG).until(() -> job(cancelled.taskId()) != null && job(lost.taskId()) != null);
        manager.cancel(cancelled.taskId());
        await().atMost(LONG).until(() -> manager.get(cancelled.taskId()).status() == TaskStatus.CANCELLED);
        assertThat(job(cancelled.taskId())).isNull();

        client.batch().v1().jobs().inNamespace(NS).withName(lost.taskId()).delete();
        await().atMost(LONG).until(() -> manager.get(lost.taskId()).status() == TaskStatus.FAILED);
        assertThat(manager.get(lost.taskId()).errorMessage()).contains("no longer exists");
    }

    @Test
    void aRestartedServiceFindsItsJobsAgainByLabel() throws IOException {
        Task task = create();
        await().atMost(LONG).until(() -> job(task.taskId()) != null);
        manager.close();
        // As if the service had died between creating the Job and recording it: the task file knows no Job.
        Path meta = Path.of(task.outputDir()).resolve(TaskStore.META_FILE);
        ObjectNode stored = (ObjectNode) StudioJson.mapper().readTree(meta.toFile());
        assertThat(stored.get("status").asText()).isEqualTo("preparing");
        stored.putNull("run");
        Files.write(meta, StudioJson.mapper().writeValueAsBytes(stored));

        manager = manager(Optional.empty());
        assertThat(manager.get(task.taskId()).status()).isEqualTo(TaskStatus.PREPARING);
        assertThat(client.batch().v1().jobs().inNamespace(NS).list().getItems()).hasSize(1);
        progress(Path.of(task.outputDir()), "{\"type\":\"phase\",\"phase\":\"done\"}");
        finishJob(task.taskId(), "Complete", "Completed");
        await().atMost(LONG).until(() -> manager.get(task.taskId()).status() == TaskStatus.COMPLETED);
    }
}
