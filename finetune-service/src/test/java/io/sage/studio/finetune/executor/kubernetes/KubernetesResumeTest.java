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

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.fabric8.kubernetes.api.model.Pod;
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
import io.sage.studio.events.StudioJson;
import io.sage.studio.finetune.api.TaskViewCache;
import io.sage.studio.finetune.dataset.DatasetService;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskRequest;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.executor.InstanceIdentity;
import io.sage.studio.finetune.queue.TaskQueue;
import io.sage.studio.finetune.task.AutoResume;
import io.sage.studio.finetune.task.Checkpoints;
import io.sage.studio.finetune.task.TaskEngine;
import io.sage.studio.finetune.task.TaskStore;
import io.sage.studio.kube.StudioLabels;

/**
 * Attempts on Kubernetes, on the fabric8 mock API server in CRUD mode: each attempt of a training is a Job of its own
 * ({@code <task_id>-a<N>}, labelled with the attempt), so an evicted trainer pod's task is resumed automatically from its
 * checkpoint, and a paused task (its Job deleted: the pod gets SIGTERM) resumes as a new Job. The test plays the cluster
 * and the trainer pods (Job and pod status, {@code progress.jsonl} and the checkpoint on the shared home).
 */
class KubernetesResumeTest {

    private static final Duration LONG = Duration.ofSeconds(30);
    private static final String NS = "studio";

    @TempDir
    Path root;

    private KubernetesMockServer server;
    private KubernetesClient client;
    private StudioHome home;
    private TaskEngine engine;
    private TaskViewCache views;

    @BeforeEach
    void start() throws IOException {
        server = new KubernetesMockServer(
                new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init();
        client = server.createClient();
        home = StudioHome.at(root);
        KubernetesExecutor executor = new KubernetesExecutor(client, KubernetesMergeTest.settings(), home);
        TaskStore store = new TaskStore(home.finetuneDir(), AtomicFiles::write);
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
                new TaskEngine.Settings(
                        Duration.ofMillis(100),
                        Duration.ofMillis(20),
                        Duration.ofSeconds(1),
                        Integer.MAX_VALUE,
                        Checkpoints.defaults(),
                        new AutoResume(3, List.of(Duration.ofMillis(100)))));
        engine.start();
    }

    @AfterEach
    void stop() {
        engine.close();
        client.close();
        server.destroy();
    }

    @Test
    void anEvictedTrainerPodsTaskIsResumedFromItsCheckpointAsAJobOfTheNextAttempt() throws IOException {
        Task task = create();
        String id = task.taskId();
        Path dir = Path.of(task.outputDir());
        await().atMost(LONG).until(() -> job(id) != null);
        // the trainer ran 5 of 10 steps; the kubelet evicted its pod: SIGTERM, checkpoint, error cancelled, exit 143
        trained(dir, 1, 5);
        checkpoint(dir, 5);
        progress(dir, "{\"type\":\"error\",\"code\":\"cancelled\",\"message\":\"cancelled by SIGTERM at step 5\"}");
        evictedPod(id);
        finishJob(id, "Failed", "BackoffLimitExceeded");

        await().atMost(LONG).until(() -> job(id + "-a2") != null);
        Job second = job(id + "-a2");
        assertThat(second.getMetadata().getLabels()).containsEntry(TrainerJobs.ATTEMPT, "2");
        assertThat(job(id))
                .isNotNull(); // the evicted attempt's Job stays as the cluster keeps it, never followed again
        Task resumed = views.get(id);
        assertThat(resumed.attempt()).isEqualTo(2);
        assertThat(resumed.step()).isEqualTo(5); // the checkpoint's step, never back to zero
        assertThat(resumed.attempts().get(0).errorCode()).isEqualTo("cancelled");
        assertThat(StudioJson.mapper()
                        .readTree(dir.resolve("job.json").toFile())
                        .path("resume_from")
                        .asText())
                .isEqualTo("checkpoints/step-5");

        trained(dir, 6, 10);
        progress(
                dir,
                "{\"type\":\"artifact\",\"kind\":\"lora\",\"path\":\"lora\"}",
                "{\"type\":\"phase\",\"phase\":\"done\"}");
        finishJob(id + "-a2", "Complete", "Complete");
        await().atMost(LONG).until(() -> views.get(id).status() == TaskStatus.COMPLETED);
        assertThat(views.get(id).attempt()).isEqualTo(2);
        assertThat(views.get(id).step()).isEqualTo(10);
    }

    @Test
    void aPausedTaskLosesItsJobAndResumesAsTheJobOfItsNextAttempt() throws IOException {
        Task task = create();
        String id = task.taskId();
        Path dir = Path.of(task.outputDir());
        await().atMost(LONG).until(() -> job(id) != null);
        trained(dir, 1, 3);
        await().atMost(LONG).until(() -> views.get(id).step() == 3);

        engine.lifecycle().pause(id);
        await().atMost(LONG).until(() -> job(id) == null); // deleted: its pod gets SIGTERM and checkpoints
        checkpoint(dir, 3);
        await().atMost(LONG).until(() -> views.get(id).status() == TaskStatus.PAUSED);

        Task resumed = engine.lifecycle().resume(id);
        assertThat(resumed.attempt()).isEqualTo(2);
        await().atMost(LONG).until(() -> job(id + "-a2") != null);
        assertThat(StudioJson.mapper()
                        .readTree(dir.resolve("job.json").toFile())
                        .path("resume_from")
                        .asText())
                .isEqualTo("checkpoints/step-3");
        assertThat(job(id + "-a2").getSpec().getTemplate().getMetadata().getLabels())
                .containsEntry(TrainerJobs.ATTEMPT, "2");
    }

    private Task create() throws IOException {
        Path data = Files.createDirectories(home.datasetsDir()).resolve("d.jsonl");
        Files.writeString(data, "{\"prompt\":\"p\",\"completion\":\"c\"}\n");
        return engine.lifecycle()
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
    }

    private Job job(String name) {
        return client.batch().v1().jobs().inNamespace(NS).withName(name).get();
    }

    private void finishJob(String name, String type, String reason) {
        Job job = job(name);
        job.setStatus(new JobStatusBuilder()
                .withSucceeded(type.equals("Complete") ? 1 : 0)
                .withFailed(type.equals("Failed") ? 1 : 0)
                .withConditions(new JobConditionBuilder()
                        .withType(type)
                        .withStatus("True")
                        .withReason(reason)
                        .build())
                .build());
        client.batch().v1().jobs().inNamespace(NS).resource(job).updateStatus();
    }

    /** The pod of Job {@code jobName}, evicted by the kubelet; its trainer exited 143 after checkpointing. */
    private void evictedPod(String jobName) {
        Map<String, String> labels = TrainerJobs.labels(jobName);
        labels.put(StudioLabels.STUDIO_INSTANCE, InstanceIdentity.of(home).id());
        labels.put(TrainerJobs.JOB_NAME, jobName);
        Pod pod = new PodBuilder()
                .withNewMetadata()
                .withName(jobName + "-abcde")
                .withNamespace(NS)
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("trainer")
                .withImage("x")
                .endContainer()
                .endSpec()
                .withNewStatus()
                .withPhase("Failed")
                .withReason("Evicted")
                .withMessage("The node was low on resource: memory.")
                .addNewContainerStatus()
                .withName("trainer")
                .withNewState()
                .withNewTerminated()
                .withExitCode(143)
                .endTerminated()
                .endState()
                .endContainerStatus()
                .endStatus()
                .build();
        client.pods().inNamespace(NS).resource(pod).create();
    }

    /** Metrics records of steps {@code from}..{@code to} of 10, as the trainer pod writes them. */
    private static void trained(Path dir, int from, int to) throws IOException {
        for (int step = from; step <= to; step++) {
            progress(dir, "{\"type\":\"metrics\",\"step\":" + step + ",\"total_steps\":10,\"loss\":1.0}");
        }
    }

    /** A complete checkpoint of step {@code step}, as the trainer writes it on SIGTERM. */
    private static void checkpoint(Path dir, int step) throws IOException {
        Path checkpoint = Files.createDirectories(dir.resolve("checkpoints/step-" + step + "/model"));
        Files.writeString(checkpoint.getParent().resolve("trainer_state.json"), "{\"step\":" + step + "}");
    }

    private static void progress(Path taskDir, String... lines) throws IOException {
        Files.writeString(
                taskDir.resolve("progress.jsonl"),
                String.join("\n", lines) + "\n",
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }
}
