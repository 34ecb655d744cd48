package io.sage.studio.finetune.executor.kubernetes;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.sage.studio.common.models.HubSettings;
import io.sage.studio.common.tracing.ChildTracing;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.executor.RunKind;
import io.sage.studio.finetune.executor.TrackerSettings;
import io.sage.studio.kube.Scheduling;
import io.sage.studio.kube.StudioLabels;

/**
 * Builds the {@code batch/v1} Jobs of a task from the executor settings: its training (named after the task; attempt N
 * of it {@code <task_id>-a<N>}, labelled {@value #ATTEMPT}) and the
 * merge of its adapter ({@code <task_id>-merge}, labelled {@value RunKind#LABEL}{@code =merge}, args
 * {@code merge --task-dir <dir>}; same image, resources and scheduling, since a merge loads the base model too). Labels and scheduling come from studio-kube
 * ({@link StudioLabels}, {@link Scheduling}), as for chat-switch's engines.
 */
final class TrainerJobs {

    static final String CONTAINER = "trainer";
    static final String VOLUME = "studio-home";
    /**
     * The attempt a training Job runs (a retry, a resume and an automatic resume each start the next one); a Job
     * without it is attempt 1.
     */
    static final String ATTEMPT = "studio.sage.io/attempt";
    /** The label Kubernetes puts on a Job's pods naming the Job. */
    static final String JOB_NAME = "job-name";

    private TrainerJobs() {}

    /** The labels that find a task's training Job and pods again. */
    static Map<String, String> labels(String taskId) {
        return labels(taskId, RunKind.TRAIN);
    }

    /** The labels that find a task's Job and pods of {@code kind} again. */
    static Map<String, String> labels(String taskId, RunKind kind) {
        Map<String, String> labels = StudioLabels.workload(
                StudioLabels.NAME_TRAINER, StudioLabels.COMPONENT_TRAINER, StudioLabels.MANAGED_BY_FINETUNE);
        labels.put(StudioLabels.TASK_ID, taskId);
        if (kind.labelValue() != null) {
            labels.put(RunKind.LABEL, kind.labelValue());
        }
        return labels;
    }

    /**
     * The name of a task's Job of {@code kind}: a training's first attempt is named after the task (as before attempts
     * existed), attempt N after it {@code <task_id>-a<N>}, so an attempt never meets the finished Job of the one before
     * it (which the cluster keeps); a merge is {@code <task_id>-merge}.
     */
    static String jobName(String taskId, RunKind kind, int attempt) {
        return kind == RunKind.TRAIN && attempt > 1 ? taskId + "-a" + attempt : kind.jobName(taskId);
    }

    /** The attempt a training Job's labels name (1 without the label). */
    static int attemptOf(Map<String, String> labels) {
        String value = labels == null ? null : labels.get(ATTEMPT);
        try {
            return value == null ? 1 : Integer.parseInt(value);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Whether a Job's or pod's labels mark it as a run of {@code kind} (training: no {@value RunKind#LABEL}). */
    static boolean isKind(Map<String, String> labels, RunKind kind) {
        String value = labels == null ? null : labels.get(RunKind.LABEL);
        return kind.labelValue() == null ? value == null : kind.labelValue().equals(value);
    }

    /**
     * The trainer pods' scheduling: {@code scheduling} (JSON) combined with the older node-selector and tolerations
     * keys.
     *
     * @throws IllegalArgumentException when they are invalid (read once, when the executor starts)
     */
    static Scheduling scheduling(FinetuneConfig.Kubernetes config) {
        return Scheduling.of(
                config.scheduling(), config.nodeSelector(), config.tolerations().orElse(List.of()));
    }

    /**
     * The pod's environment is {@code SAGE_TASK_ID} and {@code PYTHONUNBUFFERED} (and what {@link #hubEnv} adds): nothing
     * of the service's own environment (its keys and tokens) is copied into a Job.
     *
     * @param taskDirInPod the task directory as the pod sees it (on the studio-home volume)
     * @param scheduling   {@link #scheduling} of {@code config}
     * @param instanceId   this install's id, as the {@value StudioLabels#STUDIO_INSTANCE} label
     */
    static Job build(
            String taskId,
            String namespace,
            String taskDirInPod,
            FinetuneConfig.Kubernetes config,
            Scheduling scheduling,
            String instanceId) {
        return build(taskId, RunKind.TRAIN, 1, namespace, taskDirInPod, config, scheduling, instanceId);
    }

    /** The Job of {@code kind} for a task; see {@link #build(String, String, String, FinetuneConfig.Kubernetes, Scheduling, String)}. */
    static Job build(
            String taskId,
            RunKind kind,
            int attempt,
            String namespace,
            String taskDirInPod,
            FinetuneConfig.Kubernetes config,
            Scheduling scheduling,
            String instanceId) {
        return build(taskId, kind, attempt, namespace, taskDirInPod, config, scheduling, instanceId, List.of());
    }

    /**
     * A task's pod environment beyond the trainer's own variables: {@code hubEnv} ({@link #hubEnv}), for a training the
     * settings of the trackers its {@code report_to} names ({@link #trackerEnv}), and its trace ({@link #withTrace}).
     */
    static List<EnvVar> taskEnv(List<EnvVar> hubEnv, TrackerSettings trackers, TaskRecord task, RunKind kind) {
        List<EnvVar> env = new ArrayList<>(hubEnv);
        if (kind == RunKind.TRAIN && task.config() != null) {
            env.addAll(trackerEnv(trackers, task.config().reportTo()));
        }
        return withTrace(env, task);
    }

    /**
     * The settings of the trackers {@code reportTo} names as pod environment: plain values as they are, credentials
     * ({@code MLFLOW_TRACKING_TOKEN}, {@code WANDB_API_KEY}) from their Secret by reference, optional as
     * {@code HF_TOKEN}'s is (a missing Secret leaves the variable out and the task shows the tracker unavailable),
     * never as a value.
     */
    static List<EnvVar> trackerEnv(TrackerSettings trackers, List<String> reportTo) {
        List<EnvVar> env = new ArrayList<>();
        trackers.variables(reportTo).forEach((name, variable) -> {
            if (variable.secret() == null) {
                env.add(new EnvVar(name, variable.value(), null));
            } else {
                env.add(new EnvVarBuilder()
                        .withName(name)
                        .withNewValueFrom()
                        .withNewSecretKeyRef(
                                variable.secret().key(), variable.secret().name(), true)
                        .endValueFrom()
                        .build());
            }
        });
        return env;
    }

    /**
     * {@code extraEnv} plus the trace the trainer joins ({@code TRACEPARENT}, {@code TRACESTATE} of the task's create
     * call) and, while the service's tracing is on, where it exports ({@link ChildTracing}); {@code extraEnv} alone
     * when the task was not traced and tracing is off.
     */
    static List<EnvVar> withTrace(List<EnvVar> extraEnv, TaskRecord task) {
        Map<String, String> trace =
                ChildTracing.environment(task.traceparent(), task.tracestate(), ChildTracing.TRAINER);
        if (trace.isEmpty()) {
            return extraEnv;
        }
        List<EnvVar> env = new ArrayList<>(extraEnv);
        trace.forEach((name, value) -> env.add(new EnvVar(name, value, null)));
        return env;
    }

    /**
     * The trainer's Hugging Face settings as pod environment: {@code HF_HOME} on the studio-home volume (the cache
     * the engines read too), the offline switches, and {@code HF_TOKEN} from its Secret by reference (optional: a
     * missing Secret leaves the token out and a gated model fails with {@code model_access_denied}), never as a value.
     */
    static List<EnvVar> hubEnv(HubSettings hub, String homeMountPath) {
        List<EnvVar> env = new ArrayList<>();
        hub.podEnv(homeMountPath).forEach((name, value) -> env.add(new EnvVar(name, value, null)));
        hub.tokenSecret()
                .ifPresent(secret -> env.add(new EnvVarBuilder()
                        .withName(HubSettings.TOKEN_VARIABLE)
                        .withNewValueFrom()
                        .withNewSecretKeyRef(secret.key(), secret.name(), true)
                        .endValueFrom()
                        .build()));
        return env;
    }

    /** The Job of {@code kind} with {@code extraEnv} ({@link #hubEnv}) after the trainer's own variables. */
    static Job build(
            String taskId,
            RunKind kind,
            int attempt,
            String namespace,
            String taskDirInPod,
            FinetuneConfig.Kubernetes config,
            Scheduling scheduling,
            String instanceId,
            List<EnvVar> extraEnv) {
        List<EnvVar> env = new ArrayList<>();
        env.add(new EnvVar("SAGE_TASK_ID", taskId, null));
        env.add(new EnvVar("PYTHONUNBUFFERED", "1", null));
        env.addAll(extraEnv);
        Map<String, String> labels = labels(taskId, kind);
        labels.put(StudioLabels.STUDIO_INSTANCE, instanceId);
        if (kind == RunKind.TRAIN && attempt > 1) {
            labels.put(ATTEMPT, Integer.toString(attempt));
        }
        Map<String, String> jobLabels = new LinkedHashMap<>(labels);
        config.kueueQueue().ifPresent(queue -> jobLabels.put(StudioLabels.KUEUE_QUEUE, queue));

        Map<String, Quantity> requests = new LinkedHashMap<>();
        Map<String, Quantity> limits = new LinkedHashMap<>();
        requests.put("cpu", new Quantity(config.cpuRequest()));
        requests.put("memory", new Quantity(config.memory()));
        limits.put("memory", new Quantity(config.memory()));
        if (config.gpuCount() > 0) {
            requests.put(config.gpuResource(), new Quantity(Integer.toString(config.gpuCount())));
            limits.put(config.gpuResource(), new Quantity(Integer.toString(config.gpuCount())));
        }
        List<String> args = kind.args(taskDirInPod);

        return new JobBuilder()
                .withNewMetadata()
                .withName(jobName(taskId, kind, attempt))
                .withNamespace(namespace)
                .withLabels(jobLabels)
                .endMetadata()
                .withNewSpec()
                .withBackoffLimit(config.backoffLimit())
                .withActiveDeadlineSeconds(config.activeDeadlineSeconds())
                .withSuspend(config.kueueQueue().isPresent() ? Boolean.TRUE : null)
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .withRestartPolicy("Never")
                .withTerminationGracePeriodSeconds(config.terminationGracePeriodSeconds())
                .withRuntimeClassName(config.runtimeClassName().orElse(null))
                .withServiceAccountName(config.serviceAccount().orElse(null))
                .withSecurityContext(config.fsGroup()
                        .map(group -> new PodSecurityContextBuilder()
                                .withFsGroup(group)
                                .withRunAsGroup(group)
                                .build())
                        .orElse(null))
                .withNodeSelector(scheduling.nodeSelectorOrNull())
                .withTolerations(scheduling.tolerations())
                .withAffinity(scheduling.affinity())
                .addNewContainer()
                .withName(CONTAINER)
                .withImage(config.image())
                .withImagePullPolicy(config.imagePullPolicy())
                .withCommand(config.command())
                .withArgs(args)
                .withWorkingDir(taskDirInPod)
                .withEnv(env)
                .withNewResources()
                .withRequests(requests)
                .withLimits(limits)
                .endResources()
                .addNewVolumeMount()
                .withName(VOLUME)
                .withMountPath(config.homeMountPath())
                .endVolumeMount()
                .endContainer()
                .addNewVolume()
                .withName(VOLUME)
                .withNewPersistentVolumeClaim()
                .withClaimName(config.homeClaim())
                .endPersistentVolumeClaim()
                .endVolume()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }
}
