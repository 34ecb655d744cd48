package io.sage.studio.finetune.executor.kubernetes;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sage.studio.common.models.HubSettings;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.sage.studio.finetune.executor.RunKind;
import io.sage.studio.kube.Scheduling;

/**
 * Builds the one object a training on more than one GPU runs as, for the chosen {@link DistributedEngine}: {@code nodes}
 * pods with {@code gpus} GPUs each. Every pod is the pod of {@link TrainerJobs} (same image, command, studio-home volume,
 * environment, security context, scheduling, labels; {@link HubSettings#tokenSecret()} by reference), taken from the
 * single-GPU Job it builds so the two never drift apart, with the GPU request raised to {@code gpus} and the variables the
 * trainer reads to join the others (docs/trainer-protocol.md, issue 21):
 * <ul>
 * <li>{@value #NODE_RANK}: this pod's node rank, 0 on the node whose log and files count;
 * <li>{@value #MASTER_ADDR} / {@value #MASTER_PORT}: where rank 0 listens for the rendezvous.
 * </ul>
 * They come from what the engine itself provides, so the one {@code job.json} serves every pod: JobSet and TrainJob give
 * each pod its Indexed Job completion index (downward API) and a stable DNS name behind their headless Service; the
 * Training Operator sets {@code PET_NODE_RANK}, {@code MASTER_ADDR} and {@code MASTER_PORT} only after the template's own
 * variables, where a {@code $(VAR)} reference cannot see them, so a PyTorchJob's trainer starts through {@code /bin/sh}
 * which copies them. With a Kueue queue the object carries the queue label and starts suspended (JobSet, PyTorchJob,
 * TrainJob all have a {@code suspend} switch Kueue turns off when it admits the whole gang at once).
 */
final class DistributedJobs {

    static final String NODE_RANK = "SAGE_NODE_RANK";
    static final String MASTER_ADDR = "SAGE_MASTER_ADDR";
    static final String MASTER_PORT = "SAGE_MASTER_PORT";
    /** The rendezvous port (torch's default, and the one TrainJob's torch runtime opens). */
    static final int PORT = 29500;
    /** The replicated job of a JobSet and of a torch TrainingRuntime that holds the trainer pods. */
    static final String REPLICATED_JOB = "node";
    /** The field manager of the runtime patch a TrainJob carries. */
    static final String PATCH_MANAGER = "studio.sage.io/finetune";

    private static final KubernetesSerialization JSON = new KubernetesSerialization();

    /** A distributed training's size: {@code nodes} pods with {@code gpus} GPUs (trainer processes) each. */
    record Shape(int nodes, int gpus) {
        Shape {
            if (nodes < 1 || gpus < 1) {
                throw new IllegalArgumentException("nodes and gpus must be at least 1, got " + nodes + " × " + gpus);
            }
        }

        int worldSize() {
            return nodes * gpus;
        }
    }

    private DistributedJobs() {}

    /**
     * The training of attempt {@code attempt} of a task as an object of {@code engine}, named like its single-GPU Job
     * ({@link TrainerJobs#jobName}).
     *
     * @param trainJobRuntime the ClusterTrainingRuntime a TrainJob refers to (ignored by the other engines)
     * @param extraEnv        {@link TrainerJobs#hubEnv}
     */
    static GenericKubernetesResource build(
            DistributedEngine engine,
            Shape shape,
            String taskId,
            int attempt,
            String namespace,
            String taskDirInPod,
            FinetuneConfig.Kubernetes config,
            Scheduling scheduling,
            String instanceId,
            List<EnvVar> extraEnv,
            String trainJobRuntime) {
        Job single = TrainerJobs.build(
                taskId, RunKind.TRAIN, attempt, namespace, taskDirInPod, config, scheduling, instanceId, extraEnv);
        String name = single.getMetadata().getName();
        PodTemplateSpec pod = new PodTemplateSpecBuilder(single.getSpec().getTemplate()).build();
        Container trainer = pod.getSpec().getContainers().get(0);
        trainer.setName(engine.container());
        trainer.setResources(gpus(trainer.getResources(), config.gpuResource(), shape.gpus()));
        trainer.setPorts(List.of(new ContainerPortBuilder()
                .withName(engine == DistributedEngine.PYTORCHJOB ? "pytorchjob-port" : "rendezvous")
                .withContainerPort(PORT)
                .build()));
        boolean queued = config.kueueQueue().isPresent();

        GenericKubernetesResource resource = new GenericKubernetesResource();
        resource.setApiVersion(engine.apiVersion());
        resource.setKind(engine.kind());
        resource.setMetadata(new ObjectMetaBuilder()
                .withName(name)
                .withNamespace(namespace)
                .withLabels(single.getMetadata().getLabels())
                .build());
        Map<String, Object> spec = switch (engine) {
            case JOBSET -> jobSet(name, shape, pod, single, queued);
            case PYTORCHJOB -> pytorchJob(shape, pod, single, queued);
            case TRAINJOB -> trainJob(name, shape, pod, single, queued, trainJobRuntime);
        };
        resource.setAdditionalProperty("spec", spec);
        return resource;
    }

    /**
     * One replicated job {@value #REPLICATED_JOB} of one Indexed Job with a pod per node; a failed pod fails its Job and
     * the JobSet (restarted as a whole up to {@code backoffLimit} times), a JobSet completes when its Job does. JobSet
     * names the pods {@code <name>-node-0-<index>} under its headless Service {@code <name>}.
     */
    private static Map<String, Object> jobSet(
            String name, Shape shape, PodTemplateSpec pod, Job single, boolean queued) {
        pod.getSpec().getContainers().get(0).getEnv().addAll(indexedEnv(name));
        Map<String, Object> job = new LinkedHashMap<>();
        job.put("parallelism", shape.nodes());
        job.put("completions", shape.nodes());
        job.put("completionMode", "Indexed");
        job.put("backoffLimit", 0);
        job.put("activeDeadlineSeconds", single.getSpec().getActiveDeadlineSeconds());
        job.put("template", map(pod));
        Map<String, Object> replicated = new LinkedHashMap<>();
        replicated.put("name", REPLICATED_JOB);
        replicated.put("replicas", 1);
        replicated.put(
                "template",
                Map.of(
                        "metadata",
                        Map.of(
                                "labels",
                                single.getSpec().getTemplate().getMetadata().getLabels()),
                        "spec",
                        job));

        Map<String, Object> spec = new LinkedHashMap<>();
        if (queued) {
            spec.put("suspend", true);
        }
        spec.put("network", Map.of("enableDNSHostnames", true, "publishNotReadyAddresses", true));
        spec.put("successPolicy", Map.of("operator", "All"));
        spec.put("failurePolicy", Map.of("maxRestarts", single.getSpec().getBackoffLimit()));
        spec.put("replicatedJobs", List.of(replicated));
        return spec;
    }

    /**
     * A Master (node rank 0) and {@code nodes - 1} Workers, never restarted by the operator (a failed pod fails the
     * run, retried as a whole up to {@code backoffLimit} times).
     */
    private static Map<String, Object> pytorchJob(Shape shape, PodTemplateSpec pod, Job single, boolean queued) {
        Container trainer = pod.getSpec().getContainers().get(0);
        List<String> args = new ArrayList<>(trainer.getCommand());
        args.addAll(trainer.getArgs());
        trainer.setCommand(List.of(
                "/bin/sh",
                "-c",
                "export " + NODE_RANK + "=\"$PET_NODE_RANK\" " + MASTER_ADDR + "=\"$MASTER_ADDR\" " + MASTER_PORT
                        + "=\"$MASTER_PORT\"; exec \"$@\"",
                "sage-trainer"));
        trainer.setArgs(args);

        Map<String, Object> replicas = new LinkedHashMap<>();
        replicas.put("Master", replica(1, pod));
        if (shape.nodes() > 1) {
            replicas.put("Worker", replica(shape.nodes() - 1, pod));
        }
        Map<String, Object> runPolicy = new LinkedHashMap<>();
        runPolicy.put("backoffLimit", single.getSpec().getBackoffLimit());
        runPolicy.put("activeDeadlineSeconds", single.getSpec().getActiveDeadlineSeconds());
        runPolicy.put("cleanPodPolicy", "None");
        if (queued) {
            runPolicy.put("suspend", true);
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("nprocPerNode", Integer.toString(shape.gpus()));
        spec.put("runPolicy", runPolicy);
        spec.put("pytorchReplicaSpecs", replicas);
        return spec;
    }

    private static Map<String, Object> replica(int count, PodTemplateSpec pod) {
        Map<String, Object> replica = new LinkedHashMap<>();
        replica.put("replicas", count);
        replica.put("restartPolicy", "Never");
        replica.put("template", map(pod));
        return replica;
    }

    /**
     * The trainer (image, command, environment, {@code numNodes}, {@code numProcPerNode}, resources) in the TrainJob's
     * own fields and the rest of the pod as a runtime patch of the replicated job {@value #REPLICATED_JOB}, which is what
     * a TrainJob lets a caller change of its runtime's pods: volumes, their mounts, labels, scheduling, security
     * context and service account (a RuntimeClass belongs in the runtime). The runtime sets no working directory, so
     * the trainer starts in the task directory through {@code /bin/sh}.
     */
    private static Map<String, Object> trainJob(
            String name, Shape shape, PodTemplateSpec pod, Job single, boolean queued, String runtime) {
        Container trainer = pod.getSpec().getContainers().get(0);
        List<EnvVar> env = new ArrayList<>(trainer.getEnv());
        env.addAll(indexedEnv(name));
        List<String> args = new ArrayList<>();
        args.add(trainer.getWorkingDir());
        args.addAll(trainer.getCommand());
        args.addAll(trainer.getArgs());
        Map<String, Object> trainerSpec = new LinkedHashMap<>();
        trainerSpec.put("image", trainer.getImage());
        trainerSpec.put("command", List.of("/bin/sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sage-trainer"));
        trainerSpec.put("args", args);
        trainerSpec.put("env", JSON.convertValue(env, List.class));
        trainerSpec.put("numNodes", shape.nodes());
        trainerSpec.put("numProcPerNode", shape.gpus());
        trainerSpec.put("resourcesPerNode", JSON.convertValue(trainer.getResources(), Map.class));

        PodSpec source = pod.getSpec();
        Map<String, Object> container = new LinkedHashMap<>();
        container.put("name", DistributedEngine.TRAINJOB.container());
        container.put("volumeMounts", JSON.convertValue(trainer.getVolumeMounts(), List.class));
        Map<String, Object> podSpec = new LinkedHashMap<>();
        podSpec.put("containers", List.of(container));
        podSpec.put("volumes", JSON.convertValue(source.getVolumes(), List.class));
        putIfSet(podSpec, "serviceAccountName", source.getServiceAccountName());
        putIfSet(podSpec, "securityContext", JSON.convertValue(source.getSecurityContext(), Map.class));
        putIfSet(podSpec, "nodeSelector", source.getNodeSelector());
        putIfSet(podSpec, "tolerations", JSON.convertValue(source.getTolerations(), List.class));
        putIfSet(podSpec, "affinity", JSON.convertValue(source.getAffinity(), Map.class));
        putIfSet(podSpec, "terminationGracePeriodSeconds", source.getTerminationGracePeriodSeconds());
        Map<String, Object> replicated = Map.of(
                "name",
                REPLICATED_JOB,
                "template",
                Map.of(
                        "spec",
                        Map.of(
                                "template",
                                Map.of(
                                        "metadata",
                                        Map.of("labels", pod.getMetadata().getLabels()),
                                        "spec",
                                        podSpec))));
        Map<String, Object> patch = Map.of(
                "manager",
                PATCH_MANAGER,
                "trainingRuntimeSpec",
                Map.of("template", Map.of("spec", Map.of("replicatedJobs", List.of(replicated)))));

        Map<String, Object> spec = new LinkedHashMap<>();
        if (queued) {
            spec.put("suspend", true);
        }
        spec.put("activeDeadlineSeconds", single.getSpec().getActiveDeadlineSeconds());
        spec.put(
                "runtimeRef",
                Map.of("name", runtime, "kind", "ClusterTrainingRuntime", "apiGroup", "trainer.kubeflow.org"));
        spec.put("trainer", trainerSpec);
        spec.put("runtimePatches", List.of(patch));
        return spec;
    }

    /**
     * The rank from the pod's Indexed Job completion index, rank 0 at {@code <name>-node-0-0.<name>}: the hostname and
     * subdomain JobSet gives the first pod of the first Job of replicated job {@value #REPLICATED_JOB} (a TrainJob's
     * JobSet is named after it, so the same holds there; its torch runtime sets {@code PET_MASTER_ADDR} to that name).
     */
    private static List<EnvVar> indexedEnv(String name) {
        return List.of(
                new EnvVarBuilder()
                        .withName(NODE_RANK)
                        .withNewValueFrom()
                        .withNewFieldRef()
                        .withFieldPath("metadata.annotations['" + DistributedEngine.COMPLETION_INDEX + "']")
                        .endFieldRef()
                        .endValueFrom()
                        .build(),
                new EnvVar(MASTER_ADDR, name + "-" + REPLICATED_JOB + "-0-0." + name, null),
                new EnvVar(MASTER_PORT, Integer.toString(PORT), null));
    }

    /** {@code resources} with {@code gpus} of {@code resource} requested and limited (other entries kept). */
    private static ResourceRequirements gpus(ResourceRequirements resources, String resource, int gpus) {
        Map<String, Quantity> requests = new LinkedHashMap<>(resources.getRequests());
        Map<String, Quantity> limits = new LinkedHashMap<>(resources.getLimits());
        requests.put(resource, new Quantity(Integer.toString(gpus)));
        limits.put(resource, new Quantity(Integer.toString(gpus)));
        ResourceRequirements out = new ResourceRequirements();
        out.setRequests(requests);
        out.setLimits(limits);
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(PodTemplateSpec pod) {
        return JSON.convertValue(pod, Map.class);
    }

    private static void putIfSet(Map<String, Object> map, String key, Object value) {
        if (value != null
                && !(value instanceof Map<?, ?> m && m.isEmpty())
                && !(value instanceof List<?> l && l.isEmpty())) {
            map.put(key, value);
        }
    }
}
