package io.sage.studio.chat.runtime.kubernetes;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.chat.runtime.BackendSpec;
import io.sage.studio.chat.runtime.Liveness;
import io.sage.studio.chat.runtime.Replica;
import io.sage.studio.chat.runtime.ServingRuntime;
import io.sage.studio.common.engine.EngineApiKey;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.common.models.HubSettings;
import io.sage.studio.kube.StudioLabels;

/**
 * Engines as Kubernetes Deployments, one Deployment and one ClusterIP Service per backend
 * ({@link EngineManifests}). A backend is found again after a restart by its labels; its spec travels in an
 * annotation. A pod that cannot run (image pull errors, crash loops, a failed rollout) counts as dead, so a
 * switch fails fast and rolls back instead of waiting for the ready timeout. With {@code engine-replicas} above one, a
 * pod that cannot run while another still can leaves the engine alive (the Service sends traffic to the ready ones);
 * each ready pod is a {@link Replica} reached on its own address, its generation the pod uid and container restart
 * count, so the serving code sees a restarted or new pod and loads its adapters there again.
 */
@ApplicationScoped
@Typed(KubernetesRuntime.class)
public class KubernetesRuntime implements ServingRuntime {

    private static final Logger LOG = Logger.getLogger(KubernetesRuntime.class);
    /** Most of a pod log quoted in an error message. */
    private static final int LOG_CHARS = 4 * 1024;

    private static final Set<String> FATAL_WAITING = Set.of(
            "CrashLoopBackOff",
            "ErrImagePull",
            "ImagePullBackOff",
            "InvalidImageName",
            "CreateContainerConfigError",
            "CreateContainerError");

    private final KubernetesClient client;
    private final ChatConfig.Kubernetes config;
    private final EngineManifests manifests;
    private final String namespace;
    private final Duration stopTimeout;
    private final EngineKeySecret engineKey;

    public KubernetesRuntime(
            KubernetesClient client, ChatConfig config, StudioHome home, EngineApiKey apiKey, HubSettings hub) {
        this.client = client;
        this.config = config.kubernetes();
        this.manifests = new EngineManifests(config, home.root().toString(), hub);
        this.namespace = this.config
                .namespace()
                .filter(n -> !n.isBlank())
                .orElseGet(() -> client.getNamespace() == null ? "default" : client.getNamespace());
        this.stopTimeout = config.local().stopTimeout();
        this.engineKey = new EngineKeySecret(client, namespace, this.config.engineApiKeySecret(), apiKey);
    }

    @Override
    public String name() {
        return "kubernetes";
    }

    @Override
    public boolean hasEngines() {
        return true;
    }

    public String namespace() {
        return namespace;
    }

    @Override
    public Backend start(BackendSpec spec) throws RuntimeFailure {
        String name = EngineManifests.nameOf(spec.id());
        String keySecret = engineKey.ensure();
        try {
            client.apps()
                    .deployments()
                    .inNamespace(namespace)
                    .resource(manifests.deployment(spec, keySecret))
                    .create();
            client.services()
                    .inNamespace(namespace)
                    .resource(manifests.service(spec))
                    .create();
        } catch (KubernetesClientException e) {
            deleteQuietly(name);
            throw new RuntimeFailure("Kubernetes refused the engine " + name + ": " + e.getMessage(), e);
        }
        LOG.infof("created Deployment and Service %s/%s for %s", namespace, name, spec.modelPath());
        return backendOf(spec, name, spec.adapters(), Backend.State.STARTING, Instant.now());
    }

    @Override
    public Liveness liveness(Backend backend) {
        Deployment deployment;
        try {
            deployment = client.apps()
                    .deployments()
                    .inNamespace(namespace)
                    .withName(backend.deployment())
                    .get();
        } catch (KubernetesClientException e) {
            return Liveness.ALIVE;
        }
        if (deployment == null) {
            return Liveness.dead("the Deployment " + backend.deployment() + " is gone");
        }
        if (deployment.getStatus() != null && deployment.getStatus().getConditions() != null) {
            for (DeploymentCondition condition : deployment.getStatus().getConditions()) {
                if ("Progressing".equals(condition.getType()) && "False".equals(condition.getStatus())) {
                    return Liveness.dead("the rollout of " + backend.deployment() + " failed: " + condition.getReason()
                            + " " + Optional.ofNullable(condition.getMessage()).orElse(""));
                }
            }
        }
        List<Pod> pods = pods(backend.id());
        String fatal = null;
        int fatalPods = 0;
        for (Pod pod : pods) {
            String why = whyCannotRun(pod);
            if (why != null) {
                fatalPods++;
                fatal = fatal == null ? why : fatal;
            }
        }
        if (fatal != null && fatalPods == pods.size()) {
            return Liveness.dead(fatal);
        }
        return Liveness.ALIVE;
    }

    /** Why {@code pod} cannot run (failed, or its container waits for a reason that does not pass), else null. */
    private String whyCannotRun(Pod pod) {
        if (pod.getStatus() == null) {
            return null;
        }
        if ("Failed".equals(pod.getStatus().getPhase())) {
            return "pod " + pod.getMetadata().getName() + " failed: "
                    + pod.getStatus().getReason();
        }
        for (ContainerStatus status :
                Optional.ofNullable(pod.getStatus().getContainerStatuses()).orElse(List.of())) {
            if (status.getState() != null
                    && status.getState().getWaiting() != null
                    && FATAL_WAITING.contains(status.getState().getWaiting().getReason())) {
                return "pod " + pod.getMetadata().getName() + " cannot run: "
                        + status.getState().getWaiting().getReason() + " "
                        + Optional.ofNullable(status.getState().getWaiting().getMessage())
                                .orElse("") + lastLog(pod);
            }
        }
        return null;
    }

    /**
     * With one replica: the Service, named after its pod with that pod's generation (a restarted container shows). With
     * more: every ready pod at {@code pod-url-template}. When the API server does not answer, the Service alone
     * (generation unknown: the caller then asks the engine itself).
     */
    @Override
    public List<Replica> replicas(Backend backend) {
        List<Pod> pods;
        try {
            pods = client.pods()
                    .inNamespace(namespace)
                    .withLabels(EngineManifests.selector(backend.id()))
                    .list()
                    .getItems();
        } catch (KubernetesClientException e) {
            return List.of(Replica.of(backend));
        }
        List<Pod> ready = pods.stream()
                .filter(KubernetesRuntime::ready)
                .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
                .toList();
        if (config.engineReplicas() == 1) {
            return ready.size() == 1
                    ? List.of(new Replica(
                            ready.get(0).getMetadata().getName(), backend.baseUrl(), generation(ready.get(0))))
                    : List.of(Replica.of(backend));
        }
        return ready.stream()
                .map(pod -> new Replica(pod.getMetadata().getName(), podUrl(pod), generation(pod)))
                .toList();
    }

    /** Running, not being deleted, with an address, and Ready (its readiness probe passes). */
    private static boolean ready(Pod pod) {
        if (pod.getMetadata().getDeletionTimestamp() != null
                || pod.getStatus() == null
                || !"Running".equals(pod.getStatus().getPhase())
                || pod.getStatus().getPodIP() == null) {
            return false;
        }
        return Optional.ofNullable(pod.getStatus().getConditions()).orElse(List.of()).stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** The pod's uid and its engine container's restart count: another value is another vLLM process. */
    private static String generation(Pod pod) {
        int restarts = Optional.ofNullable(pod.getStatus().getContainerStatuses()).orElse(List.of()).stream()
                .filter(c -> EngineManifests.CONTAINER.equals(c.getName()))
                .mapToInt(c -> c.getRestartCount() == null ? 0 : c.getRestartCount())
                .findFirst()
                .orElse(0);
        return pod.getMetadata().getUid() + "/" + restarts;
    }

    private String podUrl(Pod pod) {
        String ip = pod.getStatus().getPodIP();
        return config.podUrlTemplate()
                .replace("{pod}", pod.getMetadata().getName())
                .replace("{ip}", ip.contains(":") ? "[" + ip + "]" : ip)
                .replace("{port}", Integer.toString(config.port()))
                .replace("{namespace}", namespace);
    }

    @Override
    public void stop(Backend backend) {
        deleteQuietly(backend.deployment());
        long deadline = System.nanoTime() + stopTimeout.toNanos();
        while (System.nanoTime() < deadline && !pods(backend.id()).isEmpty()) {
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        LOG.infof("deleted engine %s/%s", namespace, backend.deployment());
    }

    @Override
    public List<Backend> adopt(List<Backend> recorded, Set<String> keep) {
        List<Backend> adopted = new ArrayList<>();
        List<Deployment> deployments = client.apps()
                .deployments()
                .inNamespace(namespace)
                .withLabel(StudioLabels.MANAGED_BY, StudioLabels.MANAGED_BY_CHAT_SWITCH)
                .list()
                .getItems();
        for (Deployment deployment : deployments) {
            String id = deployment.getMetadata().getLabels().get(StudioLabels.BACKEND_ID);
            BackendSpec spec = EngineManifests.specOf(deployment);
            if (id == null || spec == null || !keep.contains(id)) {
                LOG.infof(
                        "deleting orphaned engine %s/%s",
                        namespace, deployment.getMetadata().getName());
                deleteQuietly(deployment.getMetadata().getName());
                continue;
            }
            Optional<Backend> known =
                    recorded.stream().filter(b -> b.id().equals(id)).findFirst();
            Map<String, String> adapters = known.map(Backend::adapters).orElse(spec.adapters());
            Instant started = known.map(Backend::startedAt).orElse(Instant.now());
            adopted.add(backendOf(spec, deployment.getMetadata().getName(), adapters, Backend.State.READY, started));
            LOG.infof(
                    "re-adopted engine %s/%s",
                    namespace, deployment.getMetadata().getName());
        }
        return adopted;
    }

    @Override
    public String logTail(Backend backend, int lines) {
        return pods(backend.id()).stream()
                .findFirst()
                .map(pod -> {
                    try {
                        String log = client.pods()
                                .inNamespace(namespace)
                                .withName(pod.getMetadata().getName())
                                .inContainer(EngineManifests.CONTAINER)
                                .tailingLines(lines)
                                .getLog();
                        return log == null ? "" : bounded(log.strip());
                    } catch (KubernetesClientException e) {
                        return "";
                    }
                })
                .orElse("");
    }

    private Backend backendOf(
            BackendSpec spec, String name, Map<String, String> adapters, Backend.State state, Instant startedAt) {
        String baseUrl = config.baseUrlTemplate()
                .replace("{service}", name)
                .replace("{namespace}", namespace)
                .replace("{port}", Integer.toString(config.port()));
        return new Backend(spec.id(), name(), spec, baseUrl, null, null, null, name, null, adapters, state, startedAt);
    }

    private List<Pod> pods(String backendId) {
        try {
            return client.pods()
                    .inNamespace(namespace)
                    .withLabels(EngineManifests.selector(backendId))
                    .list()
                    .getItems();
        } catch (KubernetesClientException e) {
            return List.of();
        }
    }

    private String lastLog(Pod pod) {
        try {
            String log = client.pods()
                    .inNamespace(namespace)
                    .withName(pod.getMetadata().getName())
                    .inContainer(EngineManifests.CONTAINER)
                    .tailingLines(5)
                    .getLog();
            return log == null || log.isBlank() ? "" : "; last output:\n" + bounded(log.strip());
        } catch (KubernetesClientException e) {
            return "";
        }
    }

    /** The end of a log, at most {@value #LOG_CHARS} characters (a line may be long). */
    private static String bounded(String log) {
        return log.length() <= LOG_CHARS ? log : "…" + log.substring(log.length() - LOG_CHARS);
    }

    private void deleteQuietly(String name) {
        try {
            client.apps()
                    .deployments()
                    .inNamespace(namespace)
                    .withName(name)
                    .withPropagationPolicy(DeletionPropagation.FOREGROUND)
                    .delete();
            client.services().inNamespace(namespace).withName(name).delete();
        } catch (KubernetesClientException e) {
            LOG.warnf("cannot delete engine %s/%s: %s", namespace, name, e.getMessage());
        }
    }
}
