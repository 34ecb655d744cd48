package io.sage.studio.kube;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The labels and annotations the studio puts on what it creates in a cluster (trainer Jobs, engine Deployments,
 * Services, Secrets, the gateway's ConfigMap), in one place for the services that create them, their tests and
 * the chart's tests (Strimzi's {@code Labels} is the model). The values are part of the contract with the cluster:
 * the chart's NetworkPolicies select these pods by them, and a service finds its objects again after a restart by
 * them, so none of them may change without a migration.
 */
public final class StudioLabels {

    /** {@code app.kubernetes.io/name}: what runs (for example {@value #NAME_TRAINER}). */
    public static final String NAME = "app.kubernetes.io/name";
    /** {@code app.kubernetes.io/component}: its role in the studio. */
    public static final String COMPONENT = "app.kubernetes.io/component";
    /** {@code app.kubernetes.io/part-of}: always {@value #PART_OF_STUDIO}. */
    public static final String PART_OF = "app.kubernetes.io/part-of";
    /** {@code app.kubernetes.io/managed-by}: the service that creates and deletes the object. */
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";

    /** The value of {@value #PART_OF} on everything of the studio. */
    public static final String PART_OF_STUDIO = "sage-studio";

    /** finetune-service manages trainer Jobs. */
    public static final String MANAGED_BY_FINETUNE = "sage-studio-finetune";
    /** chat-switch-service manages engines, their key Secret and the external gateway's ConfigMap. */
    public static final String MANAGED_BY_CHAT_SWITCH = "sage-chat-switch";

    /** {@value #NAME} of a trainer pod. */
    public static final String NAME_TRAINER = "sage-trainer";
    /** {@value #COMPONENT} of a trainer Job and its pods. */
    public static final String COMPONENT_TRAINER = "finetune-job";
    /** {@value #NAME} of an engine pod. */
    public static final String NAME_ENGINE = "vllm";
    /** {@value #COMPONENT} of an engine's Deployment, pods and Service. */
    public static final String COMPONENT_ENGINE = "chat-engine";

    /** The task a trainer Job runs. */
    public static final String TASK_ID = "studio.sage.io/task-id";
    /** The backend an engine serves. */
    public static final String BACKEND_ID = "studio.sage.io/backend-id";
    /**
     * The studio install that created a Job (its instance id from the studio home); only that install follows or
     * deletes it, so two installs sharing a namespace never touch each other's Jobs.
     */
    public static final String STUDIO_INSTANCE = "studio.sage.io/instance";
    /** Annotation: an engine Deployment's backend spec as JSON, read back to adopt the engine after a restart. */
    public static final String BACKEND_SPEC = "studio.sage.io/backend-spec";
    /** Kueue's queue label: a Job with it is created suspended and admitted by Kueue. */
    public static final String KUEUE_QUEUE = "kueue.x-k8s.io/queue-name";

    private StudioLabels() {}

    /**
     * The recommended labels of a workload the studio creates, in a fixed order: name, component, part-of,
     * managed-by. The map is a fresh mutable copy; callers add their own identifying labels.
     */
    public static Map<String, String> workload(String name, String component, String managedBy) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(NAME, name);
        labels.put(COMPONENT, component);
        labels.put(PART_OF, PART_OF_STUDIO);
        labels.put(MANAGED_BY, managedBy);
        return labels;
    }

    /** The labels of a supporting object (a Secret, a ConfigMap): part-of and managed-by. */
    public static Map<String, String> owned(String managedBy) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(PART_OF, PART_OF_STUDIO);
        labels.put(MANAGED_BY, managedBy);
        return labels;
    }
}
