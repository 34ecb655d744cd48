package io.sage.studio.chat.support;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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
 * server's Secrets) with the stand-in vLLM as a local process, publishes a Pod with
 * the template's labels, routes the Service through {@link ServiceRouter}, and reports a crashed engine as
 * {@code CrashLoopBackOff} like the kubelet would. Deleting the Deployment stops the process and the Pod.
 */
public final class FakeKubelet implements AutoCloseable {

    private final KubernetesClient client;
    private final String namespace;
    private final ServiceRouter router;
    private final Path logDir;
    private final Map<String, Process> processes = new ConcurrentHashMap<>();
    private final Map<String, List<String>> launchedArgs = new ConcurrentHashMap<>();
    private Watch watch;

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

    private void launch(Deployment deployment) {
        String name = deployment.getMetadata().getName();
        Container container =
                deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        int port = Engines.freePort();
        List<String> args = new ArrayList<>(container.getArgs());
        launchedArgs.put(name, List.copyOf(args));
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
        Process process = Engines.start(logDir.resolve(name + ".log"), args, env);
        processes.put(name, process);
        router.route(name, port);
        Pod pod = new PodBuilder()
                .withNewMetadata()
                .withName(name + "-0")
                .withLabels(deployment.getSpec().getTemplate().getMetadata().getLabels())
                .endMetadata()
                .withNewSpec()
                .withContainers(container)
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
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
                .build();
        client.pods().inNamespace(namespace).resource(pod).create();
        process.onExit().thenRun(() -> crashed(name));
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

    private void crashed(String name) {
        if (processes.get(name) == null) {
            return;
        }
        Pod pod = client.pods().inNamespace(namespace).withName(name + "-0").get();
        if (pod == null) {
            return;
        }
        Pod looping = new PodBuilder(pod)
                .editStatus()
                .editFirstContainerStatus()
                .withRestartCount(1)
                .withNewState()
                .withNewWaiting()
                .withReason("CrashLoopBackOff")
                .withMessage("back-off 10s restarting failed container")
                .endWaiting()
                .endState()
                .endContainerStatus()
                .endStatus()
                .build();
        client.pods().inNamespace(namespace).resource(looping).updateStatus();
    }

    private void remove(String name) {
        Process process = processes.remove(name);
        router.remove(name);
        if (process != null) {
            process.destroyForcibly();
        }
        client.pods().inNamespace(namespace).withName(name + "-0").delete();
    }

    @Override
    public void close() {
        if (watch != null) {
            watch.close();
        }
        processes.values().forEach(Process::destroyForcibly);
        processes.clear();
    }
}
