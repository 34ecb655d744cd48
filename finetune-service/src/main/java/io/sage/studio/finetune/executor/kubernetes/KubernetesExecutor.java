package io.sage.studio.finetune.executor.kubernetes;

import java.net.HttpURLConnection;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.common.models.HubSettings;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.sage.studio.finetune.domain.RunHandle;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TrainerPhase;
import io.sage.studio.finetune.executor.InstanceIdentity;
import io.sage.studio.finetune.executor.RunKind;
import io.sage.studio.finetune.executor.RunListener;
import io.sage.studio.finetune.executor.TaskExecutor;
import io.sage.studio.finetune.executor.TrackerSettings;
import io.sage.studio.kube.Scheduling;
import io.sage.studio.kube.StudioLabels;

/**
 * Runs each task as a {@code batch/v1} Job (named after the task, labelled {@code studio.sage.io/task-id}) whose
 * pod mounts the studio-home volume, so the trainer reads {@code job.json} and writes {@code progress.jsonl}
 * where this service reads them. Job and pod status are polled: a pod that waits (unschedulable, image pull
 * failing) is reported as such, a finished Job settles the task with its container's exit code, and the pod's
 * log is copied to {@code logs.txt}. Cancel deletes the Job with foreground propagation. After a restart the
 * Jobs are found again by label. The merge of a task's adapter is a Job of its own ({@code <task_id>-merge}, label
 * {@value RunKind#LABEL}{@code =merge}, log copied to {@code merge_logs.txt}) and counts against the same
 * {@code concurrency}. A training on more than one GPU ({@code nodes × gpus > 1}) is not a Job but one object of the
 * configured job engine ({@link DistributedRuns}: JobSet, PyTorchJob or TrainJob), counted the same way. The client is
 * created only when this executor is chosen.
 */
@ApplicationScoped
@Typed(KubernetesExecutor.class)
public class KubernetesExecutor implements TaskExecutor {

    public static final String NAME = "kubernetes";
    private static final Logger LOG = Logger.getLogger(KubernetesExecutor.class);

    private final KubernetesClient client;
    private final FinetuneConfig.Kubernetes config;
    private final StudioHome home;
    private final InstanceIdentity identity;
    private final Scheduling scheduling;
    private final List<EnvVar> hubEnv;
    private final TrackerSettings trackers;
    private final String namespace;
    private final Map<String, Watched> watched = new ConcurrentHashMap<>();
    private final DistributedRuns distributed;
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "kubernetes-executor");
        thread.setDaemon(true);
        return thread;
    });
    private volatile boolean closed;

    @Inject
    public KubernetesExecutor(
            KubernetesClient client,
            FinetuneConfig config,
            StudioHome home,
            InstanceIdentity identity,
            HubSettings hub) {
        this(client, config.kubernetes(), home, identity, hub, TrackerSettings.of(config.trackers()));
    }

    public KubernetesExecutor(KubernetesClient client, FinetuneConfig.Kubernetes config, StudioHome home) {
        this(client, config, home, InstanceIdentity.of(home));
    }

    /** With the default Hugging Face settings (the cache in the studio home, online, no token Secret). */
    public KubernetesExecutor(
            KubernetesClient client, FinetuneConfig.Kubernetes config, StudioHome home, InstanceIdentity identity) {
        this(client, config, home, identity, HubSettings.defaults(home, Map.of()));
    }

    public KubernetesExecutor(
            KubernetesClient client,
            FinetuneConfig.Kubernetes config,
            StudioHome home,
            InstanceIdentity identity,
            HubSettings hub) {
        this(client, config, home, identity, hub, TrackerSettings.none());
    }

    /** @param trackers where the trackers of trainer pods report ({@code studio.finetune.trackers.*}) */
    public KubernetesExecutor(
            KubernetesClient client,
            FinetuneConfig.Kubernetes config,
            StudioHome home,
            InstanceIdentity identity,
            HubSettings hub,
            TrackerSettings trackers) {
        this.hubEnv = TrainerJobs.hubEnv(hub, config.homeMountPath());
        this.trackers = trackers;
        this.client = client;
        this.config = config;
        this.home = home;
        this.identity = identity;
        this.scheduling = TrainerJobs.scheduling(config);
        this.namespace = config.namespace()
                .orElseGet(() -> Optional.ofNullable(client.getNamespace()).orElse("default"));
        this.distributed = new DistributedRuns(
                client,
                config.distributedEngine(),
                config.trainjobRuntime(),
                config,
                scheduling,
                identity.id(),
                hubEnv,
                trackers);
        long every = config.pollInterval().toMillis();
        poller.scheduleWithFixedDelay(this::pollAll, every, every, TimeUnit.MILLISECONDS);
    }

    /** A Job being followed. */
    private static final class Watched {
        final String taskId;
        final RunKind kind;
        final String namespace;
        final String jobName;
        final Path taskDir;
        final RunListener listener;
        Waiting lastWaiting;

        Watched(String taskId, RunKind kind, String namespace, String jobName, Path taskDir, RunListener listener) {
            this.taskId = taskId;
            this.kind = kind;
            this.namespace = namespace;
            this.jobName = jobName;
            this.taskDir = taskDir;
            this.listener = listener;
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int freeSlots() {
        return Math.max(0, config.concurrency() - watched.size() - distributed.size());
    }

    @Override
    public RunHandle launch(TaskRecord task, Path taskDir, RunKind kind, RunListener listener) throws LaunchException {
        String inPod =
                config.homeMountPath().replaceAll("/+$", "") + "/" + home.root().relativize(taskDir);
        Optional<DistributedJobs.Shape> shape = DistributedRuns.shapeOf(task);
        if (kind == RunKind.TRAIN && shape.isPresent()) {
            return distributed.launch(task, shape.get(), namespace, inPod, taskDir, listener);
        }
        String jobName = TrainerJobs.jobName(task.taskId(), kind, task.attempt());
        Job job = TrainerJobs.build(
                task.taskId(),
                kind,
                task.attempt(),
                namespace,
                inPod,
                config,
                scheduling,
                identity.id(),
                TrainerJobs.taskEnv(hubEnv, trackers, task, kind));
        try {
            client.batch().v1().jobs().inNamespace(namespace).resource(job).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != HttpURLConnection.HTTP_CONFLICT || !ours(jobName, task.taskId(), kind)) {
                throw new LaunchException(
                        "cannot create the Job " + jobName + " in namespace " + namespace + ": " + e.getMessage(), e);
            }
            if (kind == RunKind.MERGE) {
                // A finished merge Job of an earlier merge (kept by the cluster) would end the new one at once.
                if (finished(jobName)) {
                    deleteJob(namespace, jobName);
                    throw new LaunchException(
                            "the Job " + jobName + " of an earlier merge still existed; it was deleted, try again", e);
                }
            }
            LOG.infof("Job %s already exists (created before a restart); following it", jobName);
        }
        watched.put(kind.key(task.taskId()), new Watched(task.taskId(), kind, namespace, jobName, taskDir, listener));
        return RunHandle.kubernetes(namespace, jobName, identity.id());
    }

    /** Whether the Job {@code jobName} carries the task's labels of {@code kind} and this install's (so this install made it). */
    private boolean ours(String jobName, String taskId, RunKind kind) {
        Job existing = client.batch()
                .v1()
                .jobs()
                .inNamespace(namespace)
                .withName(jobName)
                .get();
        Map<String, String> labels =
                existing == null ? null : existing.getMetadata().getLabels();
        return labels != null
                && taskId.equals(labels.get(StudioLabels.TASK_ID))
                && TrainerJobs.isKind(labels, kind)
                && identity.id().equals(labels.get(StudioLabels.STUDIO_INSTANCE));
    }

    private boolean finished(String jobName) {
        Job job = client.batch()
                .v1()
                .jobs()
                .inNamespace(namespace)
                .withName(jobName)
                .get();
        return job != null && (condition(job, "Complete") != null || condition(job, "Failed") != null);
    }

    private void deleteJob(String ns, String jobName) {
        try {
            client.batch()
                    .v1()
                    .jobs()
                    .inNamespace(ns)
                    .withName(jobName)
                    .withPropagationPolicy(DeletionPropagation.FOREGROUND)
                    .delete();
        } catch (KubernetesClientException e) {
            LOG.warnf("cannot delete the Job %s: %s", jobName, e.getMessage());
        }
    }

    /**
     * Finds the task's Job again by its labels (task id and this install's id) — in the namespace the handle
     * names only when this install wrote the handle, else in the configured one. A copied-in folder's Job name
     * or namespace is never used to find, follow or delete a Job.
     */
    @Override
    public boolean reattach(TaskRecord task, RunHandle handle, Path taskDir, RunKind kind, RunListener listener) {
        String ns = namespaceOf(handle);
        if (kind == RunKind.TRAIN && DistributedRuns.shapeOf(task).isPresent()) {
            return distributed.reattach(task, ns, taskDir, listener);
        }
        List<Job> jobs;
        try {
            jobs = client
                    .batch()
                    .v1()
                    .jobs()
                    .inNamespace(ns)
                    .withLabel(StudioLabels.TASK_ID, task.taskId())
                    .withLabel(StudioLabels.STUDIO_INSTANCE, identity.id())
                    .list()
                    .getItems()
                    .stream()
                    .filter(j -> TrainerJobs.isKind(j.getMetadata().getLabels(), kind))
                    .filter(j -> kind != RunKind.TRAIN
                            || TrainerJobs.attemptOf(j.getMetadata().getLabels()) == task.attempt())
                    .toList();
        } catch (KubernetesClientException e) {
            LOG.warnf("cannot look for the Job of %s: %s", task.taskId(), e.getMessage());
            return false;
        }
        if (jobs.isEmpty()) {
            return false;
        }
        watched.put(
                kind.key(task.taskId()),
                new Watched(task.taskId(), kind, ns, jobs.get(0).getMetadata().getName(), taskDir, listener));
        LOG.infof("re-adopted Job %s of task %s", jobs.get(0).getMetadata().getName(), task.taskId());
        return true;
    }

    /** Deletes only a Job this executor created or re-adopted (never one named by a task's files). */
    @Override
    public void cancel(TaskRecord task, RunKind kind) {
        if (kind == RunKind.TRAIN && distributed.cancel(task.taskId())) {
            return;
        }
        Watched w = watched.get(kind.key(task.taskId()));
        if (w == null) {
            LOG.debugf("task %s: no Job of this install to delete", task.taskId());
            return;
        }
        deleteJob(w.namespace, w.jobName);
    }

    @Override
    @PreDestroy
    public void close() {
        closed = true;
        poller.shutdownNow();
        try {
            // a round in flight may be appending a pod log to the task folder: let it finish before we return
            if (!poller.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("the Job poller did not stop in 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        watched.clear();
        distributed.clear();
    }

    private String namespaceOf(RunHandle run) {
        return run != null && run.namespace() != null && identity.sameInstance(run) ? run.namespace() : namespace;
    }

    private void pollAll() {
        for (Watched w : List.copyOf(watched.values())) {
            if (closed) {
                return;
            }
            try {
                poll(w);
            } catch (KubernetesClientException e) {
                LOG.debugf("cannot read the status of Job %s: %s", w.jobName, e.getMessage());
            } catch (RuntimeException e) {
                LOG.warnf(e, "following Job %s failed", w.jobName);
            }
        }
        distributed.pollAll(() -> closed);
    }

    private void poll(Watched w) {
        Job job = client.batch()
                .v1()
                .jobs()
                .inNamespace(w.namespace)
                .withName(w.jobName)
                .get();
        if (job == null) {
            end(w, null, "the Job " + w.jobName + " no longer exists (deleted outside the studio?)", null);
            return;
        }
        Pod pod = latestPod(w);
        if (condition(job, "Complete") != null
                || (job.getStatus() != null
                        && Optional.ofNullable(job.getStatus().getSucceeded()).orElse(0) > 0)) {
            end(w, 0, null, pod);
            return;
        }
        JobCondition failed = condition(job, "Failed");
        if (failed != null) {
            Integer exitCode =
                    terminated(pod).map(ContainerStateTerminated::getExitCode).orElse(null);
            String disruption = disruption(pod);
            end(
                    w,
                    exitCode,
                    (disruption == null ? "" : disruption + "; ")
                            + "Job failed: " + failed.getReason()
                            + (failed.getMessage() == null ? "" : " (" + failed.getMessage() + ")"),
                    pod);
            return;
        }
        Waiting waiting = waiting(job, pod);
        if (waiting != null) {
            if (!waiting.equals(w.lastWaiting)) {
                w.lastWaiting = waiting;
                w.listener.waiting(w.taskId, waiting.phase(), waiting.message());
            }
        }
    }

    /** Why a launched trainer does not run yet, told to the user once per change. */
    private record Waiting(TrainerPhase phase, String message) {}

    /** Phase and message while the trainer is not running yet, or {@code null}. */
    private static Waiting waiting(Job job, Pod pod) {
        if (Boolean.TRUE.equals(job.getSpec().getSuspend())) {
            return new Waiting(TrainerPhase.QUEUED_IN_CLUSTER, "the Job waits for admission (Kueue)");
        }
        if (pod == null) {
            return new Waiting(TrainerPhase.SCHEDULING, "waiting for the trainer pod to be created");
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if ("Running".equals(phase)) {
            return new Waiting(
                    TrainerPhase.POD_RUNNING,
                    "trainer pod " + pod.getMetadata().getName() + " runs on "
                            + pod.getSpec().getNodeName());
        }
        if (!"Pending".equals(phase) && phase != null) {
            return null;
        }
        Optional<ContainerStateWaiting> container =
                containerStatus(pod).map(ContainerStatus::getState).map(state -> state.getWaiting());
        if (container.isPresent()) {
            String reason = Objects.toString(container.get().getReason(), "");
            String message = container.get().getMessage() == null
                    ? ""
                    : ": " + container.get().getMessage();
            if (reason.equals("ErrImagePull")
                    || reason.equals("ImagePullBackOff")
                    || reason.equals("InvalidImageName")) {
                return new Waiting(
                        TrainerPhase.IMAGE_PULL_FAILED, "cannot pull the trainer image (" + reason + message + ")");
            }
            return new Waiting(
                    TrainerPhase.STARTING_CONTAINER, "the trainer container is starting (" + reason + message + ")");
        }
        PodCondition scheduled = pod.getStatus() == null || pod.getStatus().getConditions() == null
                ? null
                : pod.getStatus().getConditions().stream()
                        .filter(c -> "PodScheduled".equals(c.getType()))
                        .findFirst()
                        .orElse(null);
        if (scheduled != null && "False".equals(scheduled.getStatus())) {
            return new Waiting(
                    TrainerPhase.UNSCHEDULABLE,
                    "no node can run the trainer pod yet: "
                            + Objects.toString(
                                    scheduled.getMessage(), Objects.toString(scheduled.getReason(), "unschedulable")));
        }
        return new Waiting(TrainerPhase.SCHEDULING, "the trainer pod is waiting to be scheduled");
    }

    private void end(Watched w, Integer exitCode, String detail, Pod pod) {
        if (watched.remove(w.kind.key(w.taskId)) == null) {
            return;
        }
        if (pod != null) {
            PodLogs.copy(
                    client, w.namespace, pod, TrainerJobs.CONTAINER, w.taskDir.resolve(w.kind.logFile()), w.taskId);
        }
        if (w.kind == RunKind.MERGE) {
            // Its log is copied: the finished merge Job goes, so a later merge of the task can take the name.
            deleteJob(w.namespace, w.jobName);
        }
        w.listener.exited(w.taskId, exitCode, detail);
    }

    private Pod latestPod(Watched w) {
        return client
                .pods()
                .inNamespace(w.namespace)
                .withLabel(StudioLabels.TASK_ID, w.taskId)
                .withLabel(StudioLabels.STUDIO_INSTANCE, identity.id())
                .list()
                .getItems()
                .stream()
                .filter(p -> TrainerJobs.isKind(p.getMetadata().getLabels(), w.kind))
                .filter(p -> ofJob(p, w.jobName))
                .max(Comparator.comparing(p -> Objects.toString(p.getMetadata().getCreationTimestamp(), "")))
                .orElse(null);
    }

    private static JobCondition condition(Job job, String type) {
        if (job.getStatus() == null || job.getStatus().getConditions() == null) {
            return null;
        }
        return job.getStatus().getConditions().stream()
                .filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus()))
                .findFirst()
                .orElse(null);
    }

    private static Optional<ContainerStatus> containerStatus(Pod pod) {
        if (pod == null || pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return Optional.empty();
        }
        return pod.getStatus().getContainerStatuses().stream()
                .filter(c -> TrainerJobs.CONTAINER.equals(c.getName()))
                .findFirst();
    }

    /** Whether a pod belongs to the Job {@code jobName} (by the label Kubernetes gives a Job's pods, when it has it). */
    private static boolean ofJob(Pod pod, String jobName) {
        Map<String, String> labels = pod.getMetadata().getLabels();
        String owner = labels == null ? null : labels.get(TrainerJobs.JOB_NAME);
        return owner == null || owner.equals(jobName);
    }

    /**
     * Why a pod was stopped from outside, when it was: evicted by the kubelet (status reason {@code Evicted}) or
     * disrupted (condition {@code DisruptionTarget}: preemption, node drain, …); {@code null} otherwise.
     */
    private static String disruption(Pod pod) {
        if (pod == null || pod.getStatus() == null) {
            return null;
        }
        if ("Evicted".equals(pod.getStatus().getReason())) {
            return "the pod was evicted"
                    + Optional.ofNullable(pod.getStatus().getMessage())
                            .map(m -> " (" + m + ")")
                            .orElse("");
        }
        return Optional.ofNullable(pod.getStatus().getConditions()).orElse(List.of()).stream()
                .filter(c -> "DisruptionTarget".equals(c.getType()) && "True".equals(c.getStatus()))
                .findFirst()
                .map(c -> "the pod was disrupted (" + Objects.toString(c.getReason(), "DisruptionTarget") + ")")
                .orElse(null);
    }

    private static Optional<ContainerStateTerminated> terminated(Pod pod) {
        return containerStatus(pod).map(ContainerStatus::getState).map(s -> s.getTerminated());
    }
}
