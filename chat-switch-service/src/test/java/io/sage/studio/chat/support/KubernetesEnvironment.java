package io.sage.studio.chat.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.sage.studio.kube.SchedulingFixture;

/**
 * The Kubernetes-runtime test environment (with {@code @WithKubernetesTestServer}): engines as Deployments in
 * namespace {@value #NAMESPACE}, reached through {@link ServiceRouter}, GPU scheduling knobs and the external
 * gateway's ConfigMap and Deployment configured.
 */
public class KubernetesEnvironment implements QuarkusTestResourceLifecycleManager {

    public static final String NAMESPACE = "sage";
    public static final String GATEWAY_CONFIG_MAP = "sage-chat-backend";
    public static final String GATEWAY_DEPLOYMENT = "external-gateway";
    private static Path home;
    private static FinetuneStandIn finetune;
    private static ServiceRouter router;

    public static Path home() {
        return home;
    }

    public static ServiceRouter router() {
        return router;
    }

    @Override
    public Map<String, String> start() {
        try {
            home = Files.createTempDirectory("chat-k8s-").toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        finetune = new FinetuneStandIn();
        router = new ServiceRouter();
        Map<String, String> config = new HashMap<>(LocalEnvironment.common(home, finetune.url()));
        config.put("studio.chat.runtime", "kubernetes");
        config.put("studio.chat.max-concurrent-backends", "2");
        config.put("studio.chat.kubernetes.namespace", NAMESPACE);
        config.put("studio.chat.kubernetes.base-url-template", router.baseUrlTemplate());
        config.put("studio.chat.kubernetes.scheduling", SchedulingFixture.JSON);
        SchedulingFixture.LEGACY_NODE_SELECTOR.forEach(
                (label, value) -> config.put("studio.chat.kubernetes.node-selector.\"" + label + "\"", value));
        config.put("studio.chat.kubernetes.tolerations", SchedulingFixture.LEGACY_TOLERATIONS);
        config.put("studio.chat.kubernetes.runtime-class-name", "nvidia");
        config.put("studio.chat.kubernetes.memory", "24Gi");
        config.put("studio.chat.kubernetes.gateway-config-map", GATEWAY_CONFIG_MAP);
        config.put("studio.chat.kubernetes.gateway-deployment", GATEWAY_DEPLOYMENT);
        return config;
    }

    @Override
    public void stop() {
        if (router != null) {
            router.close();
        }
        if (finetune != null) {
            finetune.close();
        }
    }
}
