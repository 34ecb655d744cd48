package io.sage.studio.chat.runtime.kubernetes;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.state.GatewaySync;
import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.kube.StudioLabels;

/**
 * In a cluster, keeps the ConfigMap {@code studio.chat.kubernetes.gateway-config-map} holding
 * {@code SAGE_CHAT_BASE_URL} / {@code SAGE_CHAT_MODEL} current, and restarts the external gateway Deployment
 * {@code studio.chat.kubernetes.gateway-deployment} (a rollout, like {@code kubectl rollout restart}) when they change.
 */
@ApplicationScoped
public class KubernetesGatewaySync implements GatewaySync {

    static final String RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";
    private static final Logger LOG = Logger.getLogger(KubernetesGatewaySync.class);

    private final boolean enabled;
    private final Optional<String> configMap;
    private final Optional<String> deployment;
    private final Instance<KubernetesClient> client;
    private final Instance<KubernetesRuntime> runtime;

    public KubernetesGatewaySync(
            ChatConfig config, Instance<KubernetesClient> client, Instance<KubernetesRuntime> runtime) {
        this.enabled = config.runtime() == ChatConfig.RuntimeKind.KUBERNETES && !config.forceCloud();
        this.configMap = config.kubernetes().gatewayConfigMap().filter(s -> !s.isBlank());
        this.deployment = config.kubernetes().gatewayDeployment().filter(s -> !s.isBlank());
        this.client = client;
        this.runtime = runtime;
    }

    @Override
    public void routeChanged(ChatBackendEvent event) {
        if (!enabled || configMap.isEmpty() || event.state() == ChatBackendEvent.State.SWITCHING) {
            return;
        }
        String namespace = runtime.get().namespace();
        Map<String, String> data = Map.of(
                "SAGE_CHAT_BASE_URL", GatewaySync.baseUrlOf(event), "SAGE_CHAT_MODEL", GatewaySync.modelOf(event));
        KubernetesClient k8s = client.get();
        try {
            ConfigMap existing = k8s.configMaps()
                    .inNamespace(namespace)
                    .withName(configMap.get())
                    .get();
            if (existing != null && data.equals(existing.getData())) {
                return;
            }
            ConfigMap desired = new ConfigMapBuilder()
                    .withNewMetadata()
                    .withName(configMap.get())
                    .withLabels(StudioLabels.owned(StudioLabels.MANAGED_BY_CHAT_SWITCH))
                    .endMetadata()
                    .withData(data)
                    .build();
            if (existing == null) {
                k8s.configMaps().inNamespace(namespace).resource(desired).create();
            } else {
                k8s.configMaps()
                        .inNamespace(namespace)
                        .withName(configMap.get())
                        .edit(cm -> new ConfigMapBuilder(cm).withData(data).build());
            }
            LOG.infof(
                    "ConfigMap %s/%s now routes the external gateway to %s",
                    namespace, configMap.get(), data.get("SAGE_CHAT_MODEL"));
            deployment.ifPresent(name -> restart(k8s, namespace, name));
        } catch (KubernetesClientException e) {
            LOG.errorf(
                    "cannot update the external gateway's ConfigMap %s/%s: %s",
                    namespace, configMap.get(), e.getMessage());
        }
    }

    private static void restart(KubernetesClient k8s, String namespace, String name) {
        String patch = "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"" + RESTARTED_AT + "\":\""
                + Instant.now() + "\"}}}}}";
        k8s.apps()
                .deployments()
                .inNamespace(namespace)
                .withName(name)
                .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
        LOG.infof("restarted the external gateway Deployment %s/%s", namespace, name);
    }
}
