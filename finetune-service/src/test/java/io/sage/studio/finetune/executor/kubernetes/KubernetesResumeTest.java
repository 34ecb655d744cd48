package io.sage.studio.finetune.executor.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
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

    private static final Duration LONG = Duration.ofSeconds(90);
    private static final String NS = "studio";
    private static final Path FAKE_TRAINER = Path.of("..", "testing", "fake-trainer", "fake_trainer.py")
            .toAbsolutePath()
            .normalize();
    /** The stand-in's steps in the suspension test. */
    private static final int STEPS = 40;

    @TempDir
    Path root;

    private KubernetesMockServer server;
    private KubernetesClient client;
    private StudioHome home;
    private TaskEngine engine;
    private TaskViewCache views;
    private final List<Process> pods = new ArrayList<>();

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
        pods.forEach(Process::destroyForcibly);
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

    /**
     * A Kueue preemption suspends the Job: Kubernetes deletes its pod (SIGTERM: the trainer checkpoints and exits) and,
     * once the Job is admitted again, starts a new pod with the same {@code job.json}. That attempt's
     * {@code resume_from: latest} makes the new pod continue from the checkpoint. The pods are the stand-in trainer as
     * real processes in the task folder, like a pod on the shared volume.
     */
    @Test
    void aSuspendedAndReadmittedJobsNewPodContinuesFromTheCheckpoint() throws Exception {
        Task task = create();
        String id = task.taskId();
        Path dir = Path.of(task.outputDir());
        await().atMost(LONG).until(() -> job(id) != null);
        assertThat(StudioJson.mapper()
                        .readTree(dir.resolve("job.json").toFile())
                        .path("resume_from")
                        .asText())
                .isEqualTo("latest");

        Process first = pod(dir, "pod-1.log");
        await().atMost(LONG).until(() -> views.get(id).step() >= 3);
        suspend(id, true); // preempted: the Job is suspended and its pod deleted
        first.destroy(); // SIGTERM, as the kubelet sends it
        assertThat(first.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(first.exitValue()).isEqualTo(143);
        long checkpoint = StudioJson.mapper()
                .readTree(dir.resolve(lastCheckpoint(dir))
                        .resolve("trainer_state.json")
                        .toFile())
                .path("step")
                .asLong();
        assertThat(checkpoint).isGreaterThanOrEqualTo(3);

        suspend(id, false); // admitted again: a new pod, the same job.json
        Process second = pod(dir, "pod-2.log");
        assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(second.exitValue()).isZero();
        assertThat(Files.readString(dir.resolve("pod-2.log"))).contains("resume_from latest: step-" + checkpoint);
        finishJob(id, "Complete", "Complete");

        await().atMost(LONG).until(() -> views.get(id).status() == TaskStatus.COMPLETED);
        assertThat(views.get(id).attempt()).isEqualTo(1); // the same attempt went on, nothing was retried
        assertThat(views.get(id).step()).isEqualTo(STEPS);
        List<Long> steps = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("progress.jsonl"))) {
            var record = StudioJson.mapper().readTree(line);
            if ("metrics".equals(record.path("type").asText())) {
                steps.add(record.path("step").asLong());
            }
        }
        // the first pod's steps up to its checkpoint, then the second pod's from the next one: never over again
        assertThat(steps).isEqualTo(LongStream.rangeClosed(1, STEPS).boxed().toList());
    }

    /**
     * The stand-in trainer started like the trainer container: {@code --spec job.json} in the task folder; stopped when
     * the test ends.
     */
    private Process pod(Path taskDir, String log) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(
                        "python3",
                        FAKE_TRAINER.toString(),
                        "--spec",
                        taskDir.resolve("job.json").toString())
                .directory(taskDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(taskDir.resolve(log).toFile());
        builder.environment().put("FAKE_TRAINER_STEP_DELAY", "0.1");
        builder.environment().put("FAKE_TRAINER_STEPS", Integer.toString(STEPS));
        Process pod = builder.start();
        pods.add(pod);
        return pod;
    }

    private void suspend(String name, boolean suspended) {
        client.batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .withName(name)
                .edit(j -> new JobBuilder(j)
                        .editSpec()
                        .withSuspend(suspended)
                        .endSpec()
                        .build());
    }

    private static String lastCheckpoint(Path dir) throws IOException {
        try (var names = Files.list(dir.resolve("checkpoints"))) {
            return names.map(p -> p.getFileName().toString())
                    .filter(n -> n.matches("step-[0-9]+"))
                    .max(Comparator.comparingLong(n -> Long.parseLong(n.substring("step-".length()))))
                    .map(n -> "checkpoints/" + n)
                    .orElseThrow();
        }
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
