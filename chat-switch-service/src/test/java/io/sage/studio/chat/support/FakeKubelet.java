package io.sage.studio.chat.support;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;

/**
 * The part of a cluster the mock API server lacks: for every engine Deployment it runs the container's command
 * line (the vLLM arguments the service generated, its environment with {@code secretKeyRef}s resolved from the API
 * server's Secrets) with the stand-in vLLM as a local process per replica, publishes a Pod per replica with the
 * template's labels, a pod IP and the Ready condition once the process answers {@code /health}, routes the Service
 * (in turn over the replicas) and each pod through {@link ServiceRouter}, and reports a crashed engine as
 * {@code CrashLoopBackOff} like the kubelet would. Tests may restart a pod's container (its restart count grows, the
 * process starts again from the same arguments) or add a pod. Deleting the Deployment stops its processes and Pods.
 */
public final class FakeKubelet implements AutoCloseable {

    private final KubernetesClient client;
    private final String namespace;
    private final ServiceRouter router;
    private final Path logDir;
    /** Pod name → what runs it. */
    private final Map<String, PodRun> pods = new ConcurrentHashMap<>();

    private final Map<String, List<String>> launchedArgs = new ConcurrentHashMap<>();
    private Watch watch;

    /** One pod's container: how it was started and the process running it now. */
    private static final class PodRun {
        final String deployment;
        final List<String> args;
        final Map<String, String> env;
        final int port;
        volatile Process process;
        volatile int restarts;

        PodRun(String deployment, List<String> args, Map<String, String> env, int port) {
            this.deployment = deployment;
            this.args = args;
            this.env = env;
            this.port = port;
        }
    }

    public FakeKubelet(KubernetesClient client, String namespace, ServiceRouter router, Path logDir) {
        this.client = client;
        this.namespace = namespace;
        this.router = router;
        this.logDir = logDir;
    }

    public FakeKubelet start() {
        watch = client.apps().deployments().inNamespace(namespace).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Deployment deployment) {
                if (!"vllm".equals(deployment.getMetadata().getLabels().get("app.kubernetes.io/name"))) {
                    return;
                }
                if (action == Action.ADDED) {
                    launch(deployment);
                } else if (action == Action.DELETED) {
                    remove(deployment.getMetadata().getName());
                }
            }

            @Override
            public void onClose(WatcherException cause) {
                // The test ends.
            }
        });
        return this;
    }

    /** The arguments an engine Deployment was started with. */
    public List<String> argsOf(String deployment) {
        return launchedArgs.get(deployment);
    }

    /** The URL of one pod's engine, as the service reaches it through {@link ServiceRouter#podUrlTemplate()}. */
    public String podUrl(String pod) {
        return router.podUrlTemplate().replace("{ip}", "127.0.0.1").replace("{pod}", pod);
    }

    private void launch(Deployment deployment) {
        String name = deployment.getMetadata().getName();
        Integer replicas = deployment.getSpec().getReplicas();
        launchedArgs.put(
                name,
                List.copyOf(deployment
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getArgs()));
        for (int i = 0; i < (replicas == null ? 1 : replicas); i++) {
            startPod(deployment, name + "-" + i);
        }
        routeService(name);
    }

    /** A pod the Deployment's controller adds later (a scale-up, a pod rescheduled elsewhere); its name. */
    public String addPod(String deployment) {
        Deployment d = client.apps()
                .deployments()
                .inNamespace(namespace)
                .withName(deployment)
                .get();
        String pod = deployment + "-"
                + pods.keySet().stream().filter(p -> owned(p, deployment)).count();
        startPod(d, pod);
        routeService(deployment);
        return pod;
    }

    /** Kills and starts again the engine container of {@code pod} (same pod, same address), restart count + 1. */
    public void restartContainer(String pod) {
        PodRun run = pods.get(pod);
        Process old = run.process;
        run.restarts++;
        run.process = null;
        old.destroyForcibly().onExit().join();
        updatePod(pod, false, run.restarts, null);
        run.process = Engines.start(logDir.resolve(pod + ".log"), run.args, run.env);
        watch(pod, run);
        markReadyWhenHealthy(pod, run);
    }

    private void startPod(Deployment deployment, String pod) {
        Container container =
                deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        int port = Engines.freePort();
        List<String> args = new ArrayList<>(container.getArgs());
        args.set(args.indexOf("--host") + 1, "127.0.0.1");
        args.set(args.indexOf("--port") + 1, Integer.toString(port));
        Map<String, String> env = new HashMap<>();
        for (EnvVar var : container.getEnv()) {
            env.put(
                    var.getName(),
                    var.getValueFrom() == null
                            ? var.getValue()
                            : secretValue(var.getValueFrom().getSecretKeyRef()));
        }
        PodRun run = new PodRun(deployment.getMetadata().getName(), List.copyOf(args), env, port);
        run.process = Engines.start(logDir.resolve(pod + ".log"), args, env);
        pods.put(pod, run);
        router.route(pod, port);
        client.pods()
                .inNamespace(namespace)
                .resource(new PodBuilder()
                        .withNewMetadata()
                        .withName(pod)
                        .withUid(UUID.randomUUID().toString())
                        .withLabels(
                                deployment.getSpec().getTemplate().getMetadata().getLabels())
                        .endMetadata()
                        .withNewSpec()
                        .withContainers(container)
                        .endSpec()
                        .withNewStatus()
                        .withPhase("Running")
                        .withPodIP("127.0.0.1")
                        .addNewCondition()
                        .withType("Ready")
                        .withStatus("False")
                        .endCondition()
                        .addNewContainerStatus()
                        .withName(container.getName())
                        .withReady(false)
                        .withRestartCount(0)
                        .withNewState()
                        .withNewRunning()
                        .endRunning()
                        .endState()
                        .endContainerStatus()
                        .endStatus()
                        .build())
                .create();
        watch(pod, run);
        markReadyWhenHealthy(pod, run);
    }

    private void watch(String pod, PodRun run) {
        Process process = run.process;
        process.onExit().thenRun(() -> {
            if (run.process == process && pods.get(pod) == run) {
                crashed(pod, run);
            }
        });
    }

    /** The readiness probe: Ready once {@code /health} answers (a minute at most). */
    private void markReadyWhenHealthy(String pod, PodRun run) {
        Process process = run.process;
        CompletableFuture.runAsync(() -> {
            long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            while (System.nanoTime() < deadline && process.isAlive() && run.process == process) {
                if (Engines.status("http://127.0.0.1:" + run.port, "/health", null) == 200) {
                    updatePod(pod, true, run.restarts, null);
                    return;
                }
                try {
                    TimeUnit.MILLISECONDS.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        });
    }

    /** Writes the pod's status: ready or not, the restart count, and a waiting reason (running when null). */
    private void updatePod(String pod, boolean ready, int restarts, String waitingReason) {
        Pod current = client.pods().inNamespace(namespace).withName(pod).get();
        if (current == null) {
            return;
        }
        PodBuilder builder = new PodBuilder(current);
        builder.editStatus()
                .editFirstCondition()
                .withStatus(ready ? "True" : "False")
                .endCondition()
                .editFirstContainerStatus()
                .withReady(ready)
                .withRestartCount(restarts)
                .withNewState()
                .withNewRunning()
                .endRunning()
                .endState()
                .endContainerStatus()
                .endStatus();
        if (waitingReason != null) {
            builder.editStatus()
                    .editFirstContainerStatus()
                    .withNewState()
                    .withNewWaiting()
                    .withReason(waitingReason)
                    .withMessage("back-off 10s restarting failed container")
                    .endWaiting()
                    .endState()
                    .endContainerStatus()
                    .endStatus();
        }
        client.pods().inNamespace(namespace).resource(builder.build()).updateStatus();
    }

    /** What the kubelet puts in the container for a {@code secretKeyRef} (empty when the Secret or key is missing). */
    private String secretValue(SecretKeySelector ref) {
        Secret secret =
                client.secrets().inNamespace(namespace).withName(ref.getName()).get();
        if (secret == null || secret.getData() == null || secret.getData().get(ref.getKey()) == null) {
            return "";
        }
        return new String(Base64.getDecoder().decode(secret.getData().get(ref.getKey())), StandardCharsets.UTF_8);
    }

    private void crashed(String pod, PodRun run) {
        updatePod(pod, false, run.restarts + 1, "CrashLoopBackOff");
    }

    private void routeService(String deployment) {
        router.route(
                deployment,
                pods.entrySet().stream()
                        .filter(e -> owned(e.getKey(), deployment))
                        .sorted(Map.Entry.comparingByKey())
                        .map(e -> e.getValue().port)
                        .toList());
    }

    private boolean owned(String pod, String deployment) {
        PodRun run = pods.get(pod);
        return run != null && run.deployment.equals(deployment);
    }

    private void remove(String deployment) {
        router.remove(deployment);
        for (String pod : List.copyOf(pods.keySet())) {
            if (!owned(pod, deployment)) {
                continue;
            }
            PodRun run = pods.remove(pod);
            router.remove(pod);
            Process process = run.process;
            if (process != null) {
                process.destroyForcibly();
            }
            client.pods().inNamespace(namespace).withName(pod).delete();
        }
    }

    @Override
    public void close() {
        if (watch != null) {
            watch.close();
        }
        pods.values().forEach(run -> {
            if (run.process != null) {
                run.process.destroyForcibly();
            }
        });
        pods.clear();
    }
}
