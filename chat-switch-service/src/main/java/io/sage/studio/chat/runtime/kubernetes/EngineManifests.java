package io.sage.studio.chat.runtime.kubernetes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.runtime.BackendSpec;
import io.sage.studio.chat.runtime.EngineArgs;
import io.sage.studio.common.models.HubSettings;
import io.sage.studio.events.StudioJson;
import io.sage.studio.kube.Scheduling;
import io.sage.studio.kube.StudioLabels;

/**
 * The Deployment and Service of one engine: the vLLM OpenAI server image with the spec's arguments, its API key
 * from a Secret, GPUs as an extended resource, the studio home's claim mounted read-only at the same path (artifact paths stay valid),
 * an in-memory {@code /dev/shm}, a readiness probe on {@code /health}, and labels to find it again. Labels and
 * scheduling come from studio-kube ({@link StudioLabels}, {@link Scheduling}), as for finetune's trainer Jobs.
 * {@code engine-replicas} pods share the Service; adapters known at start travel in {@code --lora-modules} (so a
 * restarted pod has them again), those loaded later are loaded into each pod by the serving code.
 */
final class EngineManifests {

    static final String CONTAINER = "vllm";

    private final ChatConfig.Kubernetes config;
    private final ChatConfig.Memory memory;
    private final ChatConfig.Engine engine;
    private final String mountPath;
    private final Scheduling scheduling;
    private final HubSettings hub;

    /** @throws IllegalArgumentException when the scheduling settings are invalid (read once, at start-up) */
    EngineManifests(ChatConfig config, String studioHome, HubSettings hub) {
        this.hub = hub;
        this.config = config.kubernetes();
        this.memory = config.memory();
        this.engine = config.engine();
        this.mountPath = this.config.modelsMountPath().orElse(studioHome);
        this.scheduling = scheduling(this.config);
    }

    /** The engines' scheduling: {@code scheduling} (JSON) combined with the older node-selector and tolerations keys. */
    static Scheduling scheduling(ChatConfig.Kubernetes config) {
        return Scheduling.of(
                config.scheduling(), config.nodeSelector(), config.tolerations().orElse(List.of()));
    }

    static String nameOf(String backendId) {
        return "sage-chat-" + backendId;
    }

    static Map<String, String> selector(String backendId) {
        return Map.of(StudioLabels.BACKEND_ID, backendId);
    }

    static Map<String, String> labels(String backendId) {
        Map<String, String> labels = StudioLabels.workload(
                StudioLabels.NAME_ENGINE, StudioLabels.COMPONENT_ENGINE, StudioLabels.MANAGED_BY_CHAT_SWITCH);
        labels.put(StudioLabels.BACKEND_ID, backendId);
        return labels;
    }

    /**
     * The Deployment of one engine. Its container gets exactly this environment: VLLM_API_KEY from the Secret
     * {@code keySecret} (key {@code api-key}), with LoRA VLLM_ALLOW_RUNTIME_LORA_UPDATING, and the Hugging Face
     * settings ({@link HubSettings}): {@code HF_HOME} (the shared cache on the studio-home volume, mounted writable
     * under the read-only home so a model downloaded here is there for training too), the offline switches, and
     * {@code HF_TOKEN} from its Secret by reference when one is configured; nothing of this service's own environment.
     */
    Deployment deployment(BackendSpec spec, String keySecret) {
        String name = nameOf(spec.id());
        Map<String, String> limits = new LinkedHashMap<>();
        Map<String, String> requests = new LinkedHashMap<>();
        int gpus = gpus(spec);
        if (gpus > 0) {
            limits.put(config.gpuResource(), Integer.toString(gpus));
            requests.put(config.gpuResource(), Integer.toString(gpus));
        }
        config.cpu().ifPresent(cpu -> {
            limits.put("cpu", cpu);
            requests.put("cpu", cpu);
        });
        config.memory().ifPresent(mem -> {
            limits.put("memory", mem);
            requests.put("memory", mem);
        });
        List<EnvVar> env = new ArrayList<>();
        env.add(new EnvVarBuilder()
                .withName("VLLM_API_KEY")
                .withNewValueFrom()
                .withNewSecretKeyRef(EngineKeySecret.KEY, keySecret, false)
                .endValueFrom()
                .build());
        if (spec.loraEnabled()) {
            env.add(new EnvVar("VLLM_ALLOW_RUNTIME_LORA_UPDATING", "True", null));
        }
        Map<String, String> hubEnv = hub.podEnv(mountPath);
        hubEnv.forEach((variable, value) -> env.add(new EnvVar(variable, value, null)));
        hub.tokenSecret()
                .ifPresent(secret -> env.add(new EnvVarBuilder()
                        .withName(HubSettings.TOKEN_VARIABLE)
                        .withNewValueFrom()
                        .withNewSecretKeyRef(secret.key(), secret.name(), true)
                        .endValueFrom()
                        .build()));
        ContainerBuilder container = new ContainerBuilder()
                .withName(CONTAINER)
                .withImage(config.image())
                .withImagePullPolicy(config.imagePullPolicy())
                .withArgs(args(spec))
                .withEnv(env)
                .addNewPort()
                .withName("http")
                .withContainerPort(config.port())
                .withProtocol("TCP")
                .endPort()
                .withResources(new ResourceRequirementsBuilder()
                        .withLimits(quantities(limits))
                        .withRequests(quantities(requests))
                        .build())
                .withNewReadinessProbe()
                .withNewHttpGet()
                .withPath("/health")
                .withPort(new IntOrString("http"))
                .endHttpGet()
                .withPeriodSeconds(5)
                .withFailureThreshold(3)
                .withTimeoutSeconds(3)
                .endReadinessProbe()
                .addNewVolumeMount()
                .withName("models")
                .withMountPath(mountPath)
                .withReadOnly(true)
                .endVolumeMount()
                .addNewVolumeMount()
                .withName("dshm")
                .withMountPath("/dev/shm")
                .endVolumeMount();
        hub.cacheInHome()
                .ifPresent(cache -> container
                        .addNewVolumeMount()
                        .withName("models")
                        .withMountPath(hubEnv.get("HF_HOME"))
                        .withSubPath(cache)
                        .endVolumeMount());
        return new DeploymentBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(labels(spec.id()))
                .addToAnnotations(StudioLabels.BACKEND_SPEC, json(spec))
                .endMetadata()
                .withNewSpec()
                .withReplicas(config.engineReplicas())
                .withNewStrategy()
                .withType("Recreate")
                .endStrategy()
                .withNewSelector()
                .withMatchLabels(selector(spec.id()))
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(labels(spec.id()))
                .endMetadata()
                .withNewSpec()
                .withContainers(container.build())
                .withNodeSelector(scheduling.nodeSelectorOrNull())
                .withTolerations(scheduling.tolerations())
                .withAffinity(scheduling.affinity())
                .withRuntimeClassName(config.runtimeClassName().orElse(null))
                .withServiceAccountName(config.serviceAccount().orElse(null))
                .addNewVolume()
                .withName("models")
                .withNewPersistentVolumeClaim()
                .withClaimName(config.modelsClaim())
                // read-only by its mount; the claim itself writable for the cache's mount
                .withReadOnly(hub.cacheInHome().isPresent() ? null : Boolean.TRUE)
                .endPersistentVolumeClaim()
                .endVolume()
                .addNewVolume()
                .withName("dshm")
                .withNewEmptyDir()
                .withMedium("Memory")
                .withSizeLimit(new Quantity(config.shmSize()))
                .endEmptyDir()
                .endVolume()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }

    Service service(BackendSpec spec) {
        return new ServiceBuilder()
                .withNewMetadata()
                .withName(nameOf(spec.id()))
                .withLabels(labels(spec.id()))
                .endMetadata()
                .withNewSpec()
                .withType("ClusterIP")
                .withSelector(selector(spec.id()))
                .addNewPort()
                .withName("http")
                .withPort(config.port())
                .withTargetPort(new IntOrString("http"))
                .withProtocol("TCP")
                .endPort()
                .endSpec()
                .build();
    }

    /**
     * GPUs the pod requests: {@code gpu-count}, or the engine's tensor-parallel size when that is larger (vLLM sees
     * only the GPUs the device plugin gives the container, and refuses a size above them).
     */
    int gpus(BackendSpec spec) {
        return spec.tensorParallelSize() > 1
                ? Math.max(config.gpuCount(), spec.tensorParallelSize())
                : config.gpuCount();
    }

    /** vLLM's server arguments (the image's entrypoint is the server); the LoRA ones are {@link EngineArgs}'s. */
    List<String> args(BackendSpec spec) {
        List<String> args = new ArrayList<>(List.of(
                "--model",
                spec.modelPath(),
                "--served-model-name",
                spec.servedName(),
                "--host",
                "0.0.0.0",
                "--port",
                Integer.toString(config.port())));
        memory.gpuMemoryUtilization()
                .ifPresent(u -> args.addAll(List.of("--gpu-memory-utilization", Double.toString(u))));
        args.addAll(EngineArgs.tensorParallel(spec));
        args.addAll(EngineArgs.lora(spec, engine));
        config.extraArgs().ifPresent(args::addAll);
        return args;
    }

    Scheduling scheduling() {
        return scheduling;
    }

    static BackendSpec specOf(Deployment deployment) {
        String json = deployment.getMetadata().getAnnotations() == null
                ? null
                : deployment.getMetadata().getAnnotations().get(StudioLabels.BACKEND_SPEC);
        if (json == null) {
            return null;
        }
        try {
            return StudioJson.mapper().readValue(json, BackendSpec.class);
        } catch (IOException e) {
            return null;
        }
    }

    private static String json(BackendSpec spec) {
        try {
            return StudioJson.mapper().writeValueAsString(spec);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, Quantity> quantities(Map<String, String> values) {
        Map<String, Quantity> result = new LinkedHashMap<>();
        values.forEach((k, v) -> result.put(k, new Quantity(v)));
        return result;
    }
}
