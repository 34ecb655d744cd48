package io.sage.studio.finetune.executor.kubernetes;

import java.net.HttpURLConnection;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.sage.studio.finetune.domain.RunHandle;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TrainerPhase;
import io.sage.studio.finetune.executor.RunKind;
import io.sage.studio.finetune.executor.RunListener;
import io.sage.studio.finetune.executor.TaskExecutor.LaunchException;
import io.sage.studio.finetune.executor.TrackerSettings;
import io.sage.studio.kube.Scheduling;
import io.sage.studio.kube.StudioLabels;

/**
 * The {@link KubernetesExecutor}'s trainings on more than one GPU ({@code nodes × gpus > 1}): each is one object of the
 * configured {@link DistributedEngine} ({@link DistributedJobs}), followed like a single trainer's Job. Its conditions
 * settle the task (the engine's success or failure condition; the exit code is rank 0's), its pods tell where it stands
 * until then, and rank 0's log is copied to {@code logs.txt}. The engine's CRD is looked up before the first object of
 * a task is created, so a cluster without the engine gets a message naming it rather than a 404.
 *
 * <p>Cancel and pause both delete the object (foreground: its pods get SIGTERM and their grace period to checkpoint): a
 * paused task resumes as a new attempt from its checkpoint like every other, and the engines' {@code suspend} is left
 * to Kueue, which flips it on admission and preemption (a pause written there would race Kueue's own writes).
 */
final class DistributedRuns {

    private static final Logger LOG = Logger.getLogger(DistributedRuns.class);

    private final KubernetesClient client;
    private final DistributedEngine engine;
    private final String trainJobRuntime;
    private final FinetuneConfig.Kubernetes config;
    private final Scheduling scheduling;
    private final String instanceId;
    private final List<EnvVar> hubEnv;
    private final TrackerSettings trackers;
    private final Map<String, Run> runs = new ConcurrentHashMap<>();

    /** A run being followed. */
    private static final class Run {
        final String taskId;
        final int attempt;
        final int nodes;
        final String namespace;
        final String name;
        final Path taskDir;
        final RunListener listener;
        Waiting lastWaiting;

        Run(String taskId, int attempt, int nodes, String namespace, String name, Path taskDir, RunListener listener) {
            this.taskId = taskId;
            this.attempt = attempt;
            this.nodes = nodes;
            this.namespace = namespace;
            this.name = name;
            this.taskDir = taskDir;
            this.listener = listener;
        }
    }

    /** Why a launched run does not train yet, told once per change. */
    private record Waiting(TrainerPhase phase, String message) {}

    DistributedRuns(
            KubernetesClient client,
            DistributedEngine engine,
            String trainJobRuntime,
            FinetuneConfig.Kubernetes config,
            Scheduling scheduling,
            String instanceId,
            List<EnvVar> hubEnv,
            TrackerSettings trackers) {
        this.client = client;
        this.engine = engine;
        this.trainJobRuntime = trainJobRuntime;
        this.config = config;
        this.scheduling = scheduling;
        this.instanceId = instanceId;
        this.hubEnv = hubEnv;
        this.trackers = trackers;
    }

    /** The shape of {@code task}'s training, when it needs more than one GPU; empty for a single trainer's Job. */
    static Optional<DistributedJobs.Shape> shapeOf(TaskRecord task) {
        if (task.config() == null || task.config().worldSize() <= 1) {
            return Optional.empty();
        }
        return Optional.of(
                new DistributedJobs.Shape(task.config().nodes(), task.config().gpus()));
    }

    int size() {
        return runs.size();
    }

    /**
     * Creates the task's object (one of this install made before a restart is followed instead).
     *
     * @throws LaunchException when the engine's CRD is absent or the object cannot be created
     */
    RunHandle launch(
            TaskRecord task,
            DistributedJobs.Shape shape,
            String namespace,
            String taskDirInPod,
            Path taskDir,
            RunListener listener)
            throws LaunchException {
        requireEngine();
        GenericKubernetesResource resource = DistributedJobs.build(
                engine,
                shape,
                task.taskId(),
                task.attempt(),
                namespace,
                taskDirInPod,
                config,
                scheduling,
                instanceId,
                TrainerJobs.taskEnv(hubEnv, trackers, task, RunKind.TRAIN),
                trainJobRuntime);
        String name = resource.getMetadata().getName();
        try {
            resources(namespace).resource(resource).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
                throw new LaunchException(absent(), e);
            }
            if (e.getCode() != HttpURLConnection.HTTP_CONFLICT || !ours(namespace, name, task.taskId())) {
                throw new LaunchException(
                        "cannot create the " + engine.kind() + " " + name + " in namespace " + namespace + ": "
                                + e.getMessage(),
                        e);
            }
            LOG.infof("%s %s already exists (created before a restart); following it", engine.kind(), name);
        }
        runs.put(
                task.taskId(),
                new Run(task.taskId(), task.attempt(), shape.nodes(), namespace, name, taskDir, listener));
        return RunHandle.kubernetes(namespace, name, instanceId);
    }

    /**
     * Refuses when the engine's CRD is not installed. A service account that may not read CRDs (a cluster-scoped
     * permission the chart asks for, an operator may not grant it) skips the check: the create then answers 404.
     */
    private void requireEngine() throws LaunchException {
        try {
            if (client.apiextensions()
                            .v1()
                            .customResourceDefinitions()
                            .withName(engine.crdName())
                            .get()
                    == null) {
                throw new LaunchException(absent(), null);
            }
        } catch (KubernetesClientException e) {
            LOG.debugf(
                    "cannot read the CRD %s (%s); creating the %s anyway",
                    engine.crdName(), e.getMessage(), engine.kind());
        }
    }

    private String absent() {
        return "tasks on more than one GPU run as " + engine.kind() + " (" + engine.apiVersion()
                + ", studio.finetune.kubernetes.distributed-engine=" + engine.configValue()
                + "), but this cluster has no CRD " + engine.crdName() + ": install the engine (docs/operator-guide.md,"
                + " \"Multi-GPU and multi-node training\") or choose another one";
    }

    /** Whether the object {@code name} carries the task's and this install's labels (so this install made it). */
    private boolean ours(String namespace, String name, String taskId) {
        GenericKubernetesResource existing = resources(namespace).withName(name).get();
        Map<String, String> labels =
                existing == null ? null : existing.getMetadata().getLabels();
        return labels != null
                && taskId.equals(labels.get(StudioLabels.TASK_ID))
                && instanceId.equals(labels.get(StudioLabels.STUDIO_INSTANCE));
    }

    /** Finds the task's object of its current attempt again by its labels; {@code true} when it is followed again. */
    boolean reattach(TaskRecord task, String namespace, Path taskDir, RunListener listener) {
        Optional<DistributedJobs.Shape> shape = shapeOf(task);
        List<GenericKubernetesResource> found;
        try {
            found = resources(namespace)
                    .withLabel(StudioLabels.TASK_ID, task.taskId())
                    .withLabel(StudioLabels.STUDIO_INSTANCE, instanceId)
                    .list()
                    .getItems()
                    .stream()
                    .filter(r -> TrainerJobs.attemptOf(r.getMetadata().getLabels()) == task.attempt())
                    .toList();
        } catch (KubernetesClientException e) {
            LOG.warnf("cannot look for the %s of %s: %s", engine.kind(), task.taskId(), e.getMessage());
            return false;
        }
        if (found.isEmpty() || shape.isEmpty()) {
            return false;
        }
        String name = found.get(0).getMetadata().getName();
        runs.put(
                task.taskId(),
                new Run(task.taskId(), task.attempt(), shape.get().nodes(), namespace, name, taskDir, listener));
        LOG.infof("re-adopted %s %s of task %s", engine.kind(), name, task.taskId());
        return true;
    }

    /** Deletes the task's object when this install follows one; {@code false} when it follows none. */
    boolean cancel(String taskId) {
        Run run = runs.get(taskId);
        if (run == null) {
            return false;
        }
        delete(run);
        return true;
    }

    void clear() {
        runs.clear();
    }

    /** One round: each run's state, those that ended are settled. */
    void pollAll(BooleanSupplier closed) {
        for (Run run : List.copyOf(runs.values())) {
            if (closed.getAsBoolean()) {
                return;
            }
            try {
                poll(run);
            } catch (KubernetesClientException e) {
                LOG.debugf("cannot read the status of %s %s: %s", engine.kind(), run.name, e.getMessage());
            } catch (RuntimeException e) {
                LOG.warnf(e, "following %s %s failed", engine.kind(), run.name);
            }
        }
    }

    private void poll(Run run) {
        GenericKubernetesResource resource =
                resources(run.namespace).withName(run.name).get();
        if (resource == null) {
            end(
                    run,
                    null,
                    "the " + engine.kind() + " " + run.name + " no longer exists (deleted outside the studio?)",
                    null);
            return;
        }
        List<Pod> pods = pods(run);
        Pod rankZero = pods.stream().filter(engine::isRankZero).findFirst().orElse(null);
        if (condition(resource, engine.succeededCondition()) != null) {
            end(run, 0, null, rankZero);
            return;
        }
        Map<String, Object> failed = condition(resource, engine.failedCondition());
        if (failed != null) {
            Integer exitCode = terminated(rankZero)
                    .map(ContainerStateTerminated::getExitCode)
                    .orElse(null);
            end(
                    run,
                    exitCode,
                    engine.kind() + " failed: " + Objects.toString(failed.get("reason"), "Failed")
                            + (failed.get("message") == null ? "" : " (" + failed.get("message") + ")"),
                    rankZero);
            return;
        }
        Waiting waiting = waiting(run, resource, pods);
        if (waiting != null && !waiting.equals(run.lastWaiting)) {
            run.lastWaiting = waiting;
            run.listener.waiting(run.taskId, waiting.phase(), waiting.message());
        }
    }

    /** Where the run stands before the trainer reports progress: admission, pod creation, scheduling, image, running. */
    private Waiting waiting(Run run, GenericKubernetesResource resource, List<Pod> pods) {
        if (suspended(resource)) {
            return new Waiting(
                    TrainerPhase.QUEUED_IN_CLUSTER,
                    "the " + engine.kind() + " waits for admission of its " + run.nodes + " pods (Kueue)");
        }
        if (pods.isEmpty()) {
            return new Waiting(TrainerPhase.SCHEDULING, "waiting for the " + run.nodes + " trainer pods to be created");
        }
        for (Pod pod : pods) {
            Optional<ContainerStateWaiting> container =
                    containerStatus(pod).map(ContainerStatus::getState).map(s -> s.getWaiting());
            String reason =
                    container.map(w -> Objects.toString(w.getReason(), "")).orElse("");
            if (reason.equals("ErrImagePull")
                    || reason.equals("ImagePullBackOff")
                    || reason.equals("InvalidImageName")) {
                return new Waiting(
                        TrainerPhase.IMAGE_PULL_FAILED,
                        "cannot pull the trainer image (" + reason
                                + container
                                        .map(w -> w.getMessage() == null ? "" : ": " + w.getMessage())
                                        .orElse("")
                                + ")");
            }
        }
        long unschedulable = pods.stream()
                .filter(p -> p.getStatus() != null && p.getStatus().getConditions() != null)
                .filter(p -> p.getStatus().getConditions().stream()
                        .anyMatch(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus())))
                .count();
        if (unschedulable > 0) {
            return new Waiting(
                    TrainerPhase.UNSCHEDULABLE,
                    unschedulable + " of the " + run.nodes + " trainer pods cannot be scheduled yet");
        }
        List<Pod> running = pods.stream()
                .filter(p ->
                        p.getStatus() != null && "Running".equals(p.getStatus().getPhase()))
                .toList();
        if (running.size() >= run.nodes) {
            return new Waiting(
                    TrainerPhase.POD_RUNNING,
                    run.nodes + " trainer pods run on "
                            + String.join(
                                    ", ",
                                    running.stream()
                                            .map(p ->
                                                    Objects.toString(p.getSpec().getNodeName(), "?"))
                                            .distinct()
                                            .toList()));
        }
        return new Waiting(
                TrainerPhase.SCHEDULING,
                running.size() + " of the " + run.nodes + " trainer pods run; waiting for the others");
    }

    /** The engine's own suspend switch (Kueue holds it on until it admits the gang) or its Suspended condition. */
    private boolean suspended(GenericKubernetesResource resource) {
        Object spec = resource.getAdditionalProperties().get("spec");
        Object switchHolder =
                spec instanceof Map<?, ?> m && engine == DistributedEngine.PYTORCHJOB ? m.get("runPolicy") : spec;
        boolean suspend = switchHolder instanceof Map<?, ?> holder && Boolean.TRUE.equals(holder.get("suspend"));
        return suspend || condition(resource, "Suspended") != null;
    }

    /** The status condition of {@code type} that is {@code True}, or {@code null}. */
    private static Map<String, Object> condition(GenericKubernetesResource resource, String type) {
        Object status = resource.getAdditionalProperties().get("status");
        if (!(status instanceof Map<?, ?> statusMap) || !(statusMap.get("conditions") instanceof List<?> conditions)) {
            return null;
        }
        for (Object c : conditions) {
            if (c instanceof Map<?, ?> condition
                    && type.equals(condition.get("type"))
                    && "True".equals(String.valueOf(condition.get("status")))) {
                @SuppressWarnings("unchecked")
                Map<String, Object> typed = (Map<String, Object>) condition;
                return typed;
            }
        }
        return null;
    }

    /** The run's pods: the task's training pods of its attempt, by the labels the studio put on its template. */
    private List<Pod> pods(Run run) {
        return client
                .pods()
                .inNamespace(run.namespace)
                .withLabel(StudioLabels.TASK_ID, run.taskId)
                .withLabel(StudioLabels.STUDIO_INSTANCE, instanceId)
                .list()
                .getItems()
                .stream()
                .filter(p -> TrainerJobs.isKind(p.getMetadata().getLabels(), RunKind.TRAIN))
                .filter(p -> TrainerJobs.attemptOf(p.getMetadata().getLabels()) == run.attempt)
                .toList();
    }

    private void end(Run run, Integer exitCode, String detail, Pod rankZero) {
        if (runs.remove(run.taskId) == null) {
            return;
        }
        if (rankZero != null) {
            // Rank 0's log goes with the task, as a single trainer's does; the others' stay in their pods.
            PodLogs.copy(
                    client,
                    run.namespace,
                    rankZero,
                    engine.container(),
                    run.taskDir.resolve(RunKind.TRAIN.logFile()),
                    run.taskId);
        }
        run.listener.exited(run.taskId, exitCode, detail);
    }

    private void delete(Run run) {
        try {
            resources(run.namespace)
                    .withName(run.name)
                    .withPropagationPolicy(DeletionPropagation.FOREGROUND)
                    .delete();
        } catch (KubernetesClientException e) {
            LOG.warnf("cannot delete the %s %s: %s", engine.kind(), run.name, e.getMessage());
        }
    }

    private NonNamespaceOperation<
                    GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>>
            resources(String namespace) {
        return client.genericKubernetesResources(engine.context()).inNamespace(namespace);
    }

    private Optional<ContainerStatus> containerStatus(Pod pod) {
        if (pod == null || pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return Optional.empty();
        }
        return pod.getStatus().getContainerStatuses().stream()
                .filter(c -> engine.container().equals(c.getName()))
                .findFirst();
    }

    private Optional<ContainerStateTerminated> terminated(Pod pod) {
        return containerStatus(pod).map(ContainerStatus::getState).map(s -> s.getTerminated());
    }
}
