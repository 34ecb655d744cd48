package io.sage.studio.finetune.executor.kubernetes;

import java.util.Locale;
import java.util.Map;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

/**
 * The existing Kubernetes job engines a task with more than one GPU runs through
 * ({@code studio.finetune.kubernetes.distributed-engine}): the studio writes no scheduler or rendezvous of its own, it
 * creates one object of the engine's kind and follows it. The chart installs none of them (operator guide, "Multi-GPU and
 * multi-node training"); each names the CRD the executor looks for before it creates one, the conditions that end a run,
 * and how its pods tell rank 0 (whose log is kept, as a single trainer's is).
 *
 * <ul>
 * <li>{@link #JOBSET}: {@code jobset.x-k8s.io/v1alpha2} JobSet (kubernetes-sigs/jobset), one Indexed Job of
 * {@code nodes} pods behind the JobSet's headless Service;
 * <li>{@link #PYTORCHJOB}: {@code kubeflow.org/v1} PyTorchJob (Kubeflow Training Operator v1), a Master and
 * {@code nodes - 1} Workers;
 * <li>{@link #TRAINJOB}: {@code trainer.kubeflow.org/v1alpha1} TrainJob (Kubeflow Trainer v2) on a torch
 * ClusterTrainingRuntime, which builds the JobSet itself.
 * </ul>
 */
public enum DistributedEngine {
    JOBSET("jobset.x-k8s.io", "v1alpha2", "JobSet", "jobsets", "trainer", "Completed", "Failed"),
    PYTORCHJOB("kubeflow.org", "v1", "PyTorchJob", "pytorchjobs", "pytorch", "Succeeded", "Failed"),
    TRAINJOB("trainer.kubeflow.org", "v1alpha1", "TrainJob", "trainjobs", "node", "Complete", "Failed");

    /** The annotation (and, from Kubernetes 1.28, label) an Indexed Job puts on each pod: its index, the node rank. */
    static final String COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index";
    /** The label JobSet puts on each pod naming the index of its Job within the replicated job. */
    static final String JOBSET_JOB_INDEX = "jobset.sigs.k8s.io/job-index";
    /** The label the Training Operator puts on a PyTorchJob's pods naming their replica type (lower case). */
    static final String REPLICA_TYPE = "training.kubeflow.org/replica-type";

    private final String group;
    private final String version;
    private final String kind;
    private final String plural;
    private final String container;
    private final String succeeded;
    private final String failed;

    DistributedEngine(
            String group,
            String version,
            String kind,
            String plural,
            String container,
            String succeeded,
            String failed) {
        this.group = group;
        this.version = version;
        this.kind = kind;
        this.plural = plural;
        this.container = container;
        this.succeeded = succeeded;
        this.failed = failed;
    }

    /** The value of {@code studio.finetune.kubernetes.distributed-engine} that chooses this engine. */
    public String configValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public String apiVersion() {
        return group + "/" + version;
    }

    public String kind() {
        return kind;
    }

    /** The CRD that must exist before an object of this kind can be created, e.g. {@code jobsets.jobset.x-k8s.io}. */
    public String crdName() {
        return plural + "." + group;
    }

    /** How the generic client addresses this kind. */
    ResourceDefinitionContext context() {
        return new ResourceDefinitionContext.Builder()
                .withGroup(group)
                .withVersion(version)
                .withKind(kind)
                .withPlural(plural)
                .withNamespaced(true)
                .build();
    }

    /**
     * The trainer container's name: PyTorchJob finds its container by the name {@code pytorch}, a torch runtime of
     * TrainJob names it {@code node}; JobSet takes the trainer's own.
     */
    String container() {
        return container;
    }

    /** The condition type that marks a run that succeeded. */
    String succeededCondition() {
        return succeeded;
    }

    /** The condition type that marks a run that failed. */
    String failedCondition() {
        return failed;
    }

    /** Whether {@code pod} (one of the run's pods, found by the studio's labels) is node rank 0: its log is kept. */
    boolean isRankZero(Pod pod) {
        Map<String, String> labels = pod.getMetadata().getLabels() == null
                ? Map.of()
                : pod.getMetadata().getLabels();
        if (this == PYTORCHJOB) {
            return "master".equals(labels.get(REPLICA_TYPE));
        }
        Map<String, String> annotations = pod.getMetadata().getAnnotations() == null
                ? Map.of()
                : pod.getMetadata().getAnnotations();
        String index = labels.getOrDefault(COMPLETION_INDEX, annotations.get(COMPLETION_INDEX));
        return "0".equals(index) && "0".equals(labels.getOrDefault(JOBSET_JOB_INDEX, "0"));
    }
}
