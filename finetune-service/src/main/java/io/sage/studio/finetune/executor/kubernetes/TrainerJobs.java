package io.sage.studio.finetune.executor.kubernetes;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.sage.studio.finetune.config.FinetuneConfig;

/** Builds the {@code batch/v1} Job of a task from the executor settings. */
final class TrainerJobs {

    static final String LABEL_NAME = "app.kubernetes.io/name";
    static final String LABEL_COMPONENT = "app.kubernetes.io/component";
    static final String LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
    static final String LABEL_PART_OF = "app.kubernetes.io/part-of";
    static final String LABEL_TASK = "studio.sage.io/task-id";
    /** The id of the studio install that created the Job; only that install follows or deletes it. */
    static final String LABEL_INSTANCE = "studio.sage.io/instance";
    static final String LABEL_KUEUE_QUEUE = "kueue.x-k8s.io/queue-name";
    static final String MANAGED_BY = "sage-studio-finetune";
    static final String CONTAINER = "trainer";
    static final String VOLUME = "studio-home";

    private TrainerJobs() {
    }

    /** The labels that find a task's Job and pods again. */
    static Map<String, String> labels(String taskId) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(LABEL_NAME, "sage-trainer");
        labels.put(LABEL_COMPONENT, "finetune-job");
        labels.put(LABEL_PART_OF, "sage-studio");
        labels.put(LABEL_MANAGED_BY, MANAGED_BY);
        labels.put(LABEL_TASK, taskId);
        return labels;
    }

    /**
     * The pod's environment is exactly {@code SAGE_TASK_ID} and {@code PYTHONUNBUFFERED}: nothing of the service's
     * own environment (its keys and tokens) is copied into a Job.
     *
     * @param taskDirInPod the task directory as the pod sees it (on the studio-home volume)
     * @param instanceId   this install's id, as the {@value #LABEL_INSTANCE} label
     */
    static Job build(String taskId, String namespace, String taskDirInPod, FinetuneConfig.Kubernetes config,
            String instanceId) {
        Map<String, String> labels = labels(taskId);
        labels.put(LABEL_INSTANCE, instanceId);
        Map<String, String> jobLabels = new LinkedHashMap<>(labels);
        config.kueueQueue().ifPresent(queue -> jobLabels.put(LABEL_KUEUE_QUEUE, queue));

        Map<String, Quantity> requests = new LinkedHashMap<>();
        Map<String, Quantity> limits = new LinkedHashMap<>();
        requests.put("cpu", new Quantity(config.cpuRequest()));
        requests.put("memory", new Quantity(config.memory()));
        limits.put("memory", new Quantity(config.memory()));
        if (config.gpuCount() > 0) {
            requests.put(config.gpuResource(), new Quantity(Integer.toString(config.gpuCount())));
            limits.put(config.gpuResource(), new Quantity(Integer.toString(config.gpuCount())));
        }
        List<String> args = List.of("--spec", taskDirInPod + "/job.json");

        return new JobBuilder()
                .withNewMetadata()
                    .withName(taskId)
                    .withNamespace(namespace)
                    .withLabels(jobLabels)
                .endMetadata()
                .withNewSpec()
                    .withBackoffLimit(config.backoffLimit())
                    .withActiveDeadlineSeconds(config.activeDeadlineSeconds())
                    .withSuspend(config.kueueQueue().isPresent() ? Boolean.TRUE : null)
                    .withNewTemplate()
                        .withNewMetadata().withLabels(labels).endMetadata()
                        .withNewSpec()
                            .withRestartPolicy("Never")
                            .withRuntimeClassName(config.runtimeClassName().orElse(null))
                            .withServiceAccountName(config.serviceAccount().orElse(null))
                            .withSecurityContext(config.fsGroup()
                                    .map(group -> new PodSecurityContextBuilder().withFsGroup(group).withRunAsGroup(group).build())
                                    .orElse(null))
                            .withNodeSelector(config.nodeSelector().isEmpty() ? null : config.nodeSelector())
                            .withTolerations(tolerations(config.tolerations().orElse(List.of())))
                            .addNewContainer()
                                .withName(CONTAINER)
                                .withImage(config.image())
                                .withImagePullPolicy(config.imagePullPolicy())
                                .withCommand(config.command())
                                .withArgs(args)
                                .withWorkingDir(taskDirInPod)
                                .withEnv(new EnvVar("SAGE_TASK_ID", taskId, null),
                                        new EnvVar("PYTHONUNBUFFERED", "1", null))
                                .withNewResources().withRequests(requests).withLimits(limits).endResources()
                                .addNewVolumeMount().withName(VOLUME).withMountPath(config.homeMountPath()).endVolumeMount()
                            .endContainer()
                            .addNewVolume()
                                .withName(VOLUME)
                                .withNewPersistentVolumeClaim().withClaimName(config.homeClaim()).endPersistentVolumeClaim()
                            .endVolume()
                        .endSpec()
                    .endTemplate()
                .endSpec()
                .build();
    }

    /**
     * Tolerations written {@code key=value:Effect} (Equal), {@code key:Effect} (Exists), {@code key=value} or
     * {@code key}; an empty effect matches all effects.
     */
    static List<Toleration> tolerations(List<String> specs) {
        List<Toleration> out = new ArrayList<>();
        for (String spec : specs) {
            String body = spec.strip();
            String effect = null;
            int colon = body.lastIndexOf(':');
            if (colon >= 0) {
                effect = body.substring(colon + 1).strip();
                body = body.substring(0, colon).strip();
            }
            int eq = body.indexOf('=');
            TolerationBuilder toleration = new TolerationBuilder()
                    .withEffect(effect == null || effect.isEmpty() ? null : effect);
            if (eq >= 0) {
                toleration.withKey(body.substring(0, eq)).withOperator("Equal").withValue(body.substring(eq + 1));
            } else {
                toleration.withKey(body).withOperator("Exists");
            }
            out.add(toleration.build());
        }
        return out;
    }
}
