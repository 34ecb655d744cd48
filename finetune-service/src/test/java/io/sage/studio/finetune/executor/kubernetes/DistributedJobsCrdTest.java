package io.sage.studio.finetune.executor.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.sage.studio.finetune.executor.RunKind;
import io.sage.studio.kube.SchedulingFixture;
import io.sage.studio.kube.StudioLabels;

/**
 * The distributed manifests against the engines' published CRDs (trimmed copies under {@code src/test/resources/crds/},
 * source and commit in each file's header): every field and type the builders write is one the engine's schema has,
 * and each pod is a single trainer's pod ({@link TrainerJobs}) with {@code gpus} GPUs and the rendezvous variables.
 */
class DistributedJobsCrdTest {

    private static final KubernetesSerialization JSON = new KubernetesSerialization();
    private static final String IN_POD = "/studio-home/finetune/ft-dist";
    private static final DistributedJobs.Shape SHAPE = new DistributedJobs.Shape(3, 4);

    private static FinetuneConfig.Kubernetes settings() {
        return KubeSettings.base()
                .with("scheduling", Optional.of(SchedulingFixture.JSON))
                .with("kueueQueue", Optional.of("gpu-queue"))
                .build();
    }

    static GenericKubernetesResource build(DistributedEngine engine, FinetuneConfig.Kubernetes config) {
        return DistributedJobs.build(
                engine,
                SHAPE,
                "ft-dist",
                2,
                "studio",
                IN_POD,
                config,
                TrainerJobs.scheduling(config),
                "install-1",
                List.of(new EnvVar("HF_HOME", "/studio-home/hf-cache", null)),
                "torch-distributed");
    }

    static String crdFile(DistributedEngine engine) {
        return switch (engine) {
            case JOBSET -> "jobset.x-k8s.io_jobsets.yaml";
            case PYTORCHJOB -> "kubeflow.org_pytorchjobs.yaml";
            case TRAINJOB -> "trainer.kubeflow.org_trainjobs.yaml";
        };
    }

    @ParameterizedTest
    @EnumSource(DistributedEngine.class)
    void theManifestHasOnlyFieldsAndTypesOfTheEnginesCrd(DistributedEngine engine) {
        CrdSchema schema = CrdSchema.load(crdFile(engine));
        GenericKubernetesResource resource = build(engine, settings());

        assertThat(schema.violations(resource)).isEmpty();
        assertThat(schema.crd().getMetadata().getName()).isEqualTo(engine.crdName());
        assertThat(resource.getApiVersion()).isEqualTo(engine.apiVersion());
        assertThat(resource.getMetadata().getName()).isEqualTo("ft-dist-a2");
        assertThat(resource.getMetadata().getLabels())
                .containsEntry(StudioLabels.TASK_ID, "ft-dist")
                .containsEntry(StudioLabels.STUDIO_INSTANCE, "install-1")
                .containsEntry(TrainerJobs.ATTEMPT, "2")
                .containsEntry(StudioLabels.KUEUE_QUEUE, "gpu-queue");
    }

    /** The check above can fail: an unknown field, a wrong type, a missing required field and a bad enum value do. */
    @ParameterizedTest
    @EnumSource(DistributedEngine.class)
    void theSchemaCheckRejectsWhatTheServerWouldNot(DistributedEngine engine) {
        CrdSchema schema = CrdSchema.load(crdFile(engine));
        ObjectNode tree = JSON.convertValue(build(engine, settings()), ObjectNode.class);
        ((ObjectNode) tree.get("spec")).put("gangSize", 3);
        assertThat(schema.violations(tree)).containsExactly(".spec.gangSize: unknown field");

        tree = JSON.convertValue(build(engine, settings()), ObjectNode.class);
        ObjectNode container = (ObjectNode) podTemplate(engine, tree).at("/spec/containers/0");
        container.put("name", 7);
        assertThat(schema.violations(tree)).singleElement().asString().contains("expected a string, got Integer 7");

        if (engine == DistributedEngine.JOBSET) {
            tree = JSON.convertValue(build(engine, settings()), ObjectNode.class);
            ((ObjectNode) tree.at("/spec/successPolicy")).put("operator", "Most");
            ((ObjectNode) tree.at("/spec/replicatedJobs/0")).remove("name");
            assertThat(schema.violations(tree))
                    .containsExactlyInAnyOrder(
                            ".spec.successPolicy.operator: Most is not one of [\"All\", \"Any\"]",
                            ".spec.replicatedJobs[0]: the required field name is missing");
        }
    }

    @Test
    void aJobSetRunsOneIndexedJobOfAPodPerNodeBehindItsHeadlessService() {
        JsonNode tree = JSON.convertValue(build(DistributedEngine.JOBSET, settings()), JsonNode.class);
        assertThat(tree.at("/spec/suspend").asBoolean()).isTrue();
        assertThat(tree.at("/spec/network/enableDNSHostnames").asBoolean()).isTrue();
        JsonNode job = tree.at("/spec/replicatedJobs/0");
        assertThat(job.at("/name").asText()).isEqualTo("node");
        assertThat(job.at("/replicas").asInt()).isEqualTo(1);
        assertThat(job.at("/template/spec/parallelism").asInt()).isEqualTo(3);
        assertThat(job.at("/template/spec/completions").asInt()).isEqualTo(3);
        assertThat(job.at("/template/spec/completionMode").asText()).isEqualTo("Indexed");
        Map<String, JsonNode> env = env(job.at("/template/spec/template/spec/containers/0/env"));
        assertThat(env.get("SAGE_NODE_RANK").at("/valueFrom/fieldRef/fieldPath").asText())
                .isEqualTo("metadata.annotations['batch.kubernetes.io/job-completion-index']");
        assertThat(env.get("SAGE_MASTER_ADDR").at("/value").asText()).isEqualTo("ft-dist-a2-node-0-0.ft-dist-a2");
        assertThat(env.get("SAGE_MASTER_PORT").at("/value").asText()).isEqualTo("29500");
        assertSingleTrainersPod(DistributedEngine.JOBSET, tree);
    }

    @Test
    void aPyTorchJobHasAMasterAndAWorkerPerFurtherNodeAndCopiesTheOperatorsRendezvousVariables() {
        JsonNode tree = JSON.convertValue(build(DistributedEngine.PYTORCHJOB, settings()), JsonNode.class);
        assertThat(tree.at("/spec/runPolicy/suspend").asBoolean()).isTrue();
        assertThat(tree.at("/spec/nprocPerNode").asText()).isEqualTo("4");
        assertThat(tree.at("/spec/pytorchReplicaSpecs/Master/replicas").asInt()).isEqualTo(1);
        assertThat(tree.at("/spec/pytorchReplicaSpecs/Worker/replicas").asInt()).isEqualTo(2);
        for (String type : List.of("Master", "Worker")) {
            JsonNode container = tree.at("/spec/pytorchReplicaSpecs/" + type + "/template/spec/containers/0");
            assertThat(container.at("/name").asText()).isEqualTo("pytorch");
            assertThat(container.at("/ports/0/name").asText()).isEqualTo("pytorchjob-port");
            assertThat(container.at("/command/2").asText())
                    .isEqualTo("export SAGE_NODE_RANK=\"$PET_NODE_RANK\" SAGE_MASTER_ADDR=\"$MASTER_ADDR\""
                            + " SAGE_MASTER_PORT=\"$MASTER_PORT\"; exec \"$@\"");
            assertThat(JSON.convertValue(container.at("/args"), List.class))
                    .containsExactly("python3", "-m", "sage_trainer", "--spec", IN_POD + "/job.json");
        }
        assertSingleTrainersPod(DistributedEngine.PYTORCHJOB, tree);
    }

    @Test
    void aTrainJobNamesItsRuntimeAndPatchesTheStudioHomeAndSchedulingIntoItsPods() {
        JsonNode tree = JSON.convertValue(build(DistributedEngine.TRAINJOB, settings()), JsonNode.class);
        assertThat(tree.at("/spec/suspend").asBoolean()).isTrue();
        assertThat(tree.at("/spec/runtimeRef/name").asText()).isEqualTo("torch-distributed");
        assertThat(tree.at("/spec/runtimeRef/kind").asText()).isEqualTo("ClusterTrainingRuntime");
        assertThat(tree.at("/spec/trainer/numNodes").asInt()).isEqualTo(3);
        assertThat(tree.at("/spec/trainer/numProcPerNode").asInt()).isEqualTo(4);
        assertThat(tree.at("/spec/trainer/resourcesPerNode/limits/nvidia.com~1gpu")
                        .asText())
                .isEqualTo("4");
        assertThat(tree.at("/spec/trainer/image").asText()).isEqualTo("registry.example/sage-trainer:1.2.3");
        assertThat(JSON.convertValue(tree.at("/spec/trainer/args"), List.class))
                .containsExactly(IN_POD, "python3", "-m", "sage_trainer", "--spec", IN_POD + "/job.json");
        Map<String, JsonNode> env = env(tree.at("/spec/trainer/env"));
        assertThat(env).containsKeys("SAGE_TASK_ID", "HF_HOME", "SAGE_NODE_RANK");
        assertThat(env.get("SAGE_MASTER_ADDR").at("/value").asText()).isEqualTo("ft-dist-a2-node-0-0.ft-dist-a2");
        assertThat(env.keySet()).noneMatch(name -> name.startsWith("PET_"));
        assertThat(tree.at("/spec/runtimePatches/0/manager").asText()).isEqualTo("studio.sage.io/finetune");
        assertSingleTrainersPod(DistributedEngine.TRAINJOB, tree);
    }

    /** Volumes, mounts, security context, scheduling and labels are the single-GPU Job's; GPUs are {@code gpus}. */
    private static void assertSingleTrainersPod(DistributedEngine engine, JsonNode tree) {
        FinetuneConfig.Kubernetes config = settings();
        Job single = TrainerJobs.build(
                "ft-dist",
                RunKind.TRAIN,
                2,
                "studio",
                IN_POD,
                config,
                TrainerJobs.scheduling(config),
                "install-1",
                List.of());
        JsonNode expected = JSON.convertValue(single.getSpec().getTemplate(), JsonNode.class);
        JsonNode pod = podTemplate(engine, tree);
        for (String field : List.of(
                "/metadata/labels",
                "/spec/volumes",
                "/spec/securityContext",
                "/spec/serviceAccountName",
                "/spec/nodeSelector",
                "/spec/tolerations",
                "/spec/affinity",
                "/spec/containers/0/volumeMounts")) {
            assertThat(pod.at(field)).as(engine + " " + field).isEqualTo(expected.at(field));
        }
        assertThat(pod.at("/spec/nodeSelector").toString()).contains("nvidia.com/gpu.present");
        JsonNode resources = engine == DistributedEngine.TRAINJOB
                ? tree.at("/spec/trainer/resourcesPerNode")
                : pod.at("/spec/containers/0/resources");
        assertThat(resources.at("/requests/nvidia.com~1gpu").asText()).isEqualTo("4");
        assertThat(resources.at("/requests/memory").asText()).isEqualTo("24Gi");
        assertThat(pod.at("/spec/containers/0/name").asText()).isEqualTo(engine.container());
        if (engine != DistributedEngine.TRAINJOB) {
            assertThat(pod.at("/spec/containers/0/image").asText()).isEqualTo("registry.example/sage-trainer:1.2.3");
            assertThat(pod.at("/spec/runtimeClassName").asText()).isEqualTo("nvidia");
            assertThat(pod.at("/spec/containers/0/workingDir").asText()).isEqualTo(IN_POD);
        }
    }

    private static JsonNode podTemplate(DistributedEngine engine, JsonNode tree) {
        return switch (engine) {
            case JOBSET -> tree.at("/spec/replicatedJobs/0/template/spec/template");
            case PYTORCHJOB -> tree.at("/spec/pytorchReplicaSpecs/Worker/template");
            case TRAINJOB ->
                tree.at(
                        "/spec/runtimePatches/0/trainingRuntimeSpec/template/spec/replicatedJobs/0/template/spec/template");
        };
    }

    private static Map<String, JsonNode> env(JsonNode list) {
        Map<String, JsonNode> env = new java.util.LinkedHashMap<>();
        list.forEach(e -> env.put(e.get("name").asText(), e));
        return env;
    }
}
