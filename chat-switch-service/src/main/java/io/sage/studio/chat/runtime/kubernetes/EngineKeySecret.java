package io.sage.studio.chat.runtime.kubernetes;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sage.studio.chat.runtime.ServingRuntime.RuntimeFailure;
import io.sage.studio.common.engine.EngineApiKey;
import io.sage.studio.kube.StudioLabels;

/**
 * The Secret engine pods read their API key from (key {@value #KEY}, as VLLM_API_KEY). Configured
 * ({@code studio.chat.kubernetes.engine-api-key-secret}), it must exist and hold this service's own key (the chart
 * gives the service {@code STUDIO_ENGINES_API_KEY} from the same Secret), else an engine start fails saying so.
 * Unset, this service keeps {@value #DEFAULT_NAME} itself: created with its key, updated when it holds another one.
 * The key is never logged and never put in a Deployment.
 */
final class EngineKeySecret {

    static final String KEY = "api-key";
    static final String DEFAULT_NAME = "sage-chat-engine-api-key";

    private final KubernetesClient client;
    private final String namespace;
    private final Optional<String> configured;
    private final EngineApiKey apiKey;

    EngineKeySecret(KubernetesClient client, String namespace, Optional<String> configured, EngineApiKey apiKey) {
        this.client = client;
        this.namespace = namespace;
        this.configured = configured.map(String::strip).filter(n -> !n.isEmpty());
        this.apiKey = apiKey;
    }

    /** The Secret's name, once it holds this service's key. */
    String name() {
        return configured.orElse(DEFAULT_NAME);
    }

    /** Checks (configured) or creates/updates (default) the Secret before an engine is started with it. */
    String ensure() throws RuntimeFailure {
        String key = apiKey.getOrCreate();
        String name = name();
        Secret secret;
        try {
            secret = client.secrets().inNamespace(namespace).withName(name).get();
        } catch (KubernetesClientException e) {
            throw new RuntimeFailure(
                    "cannot read the engine API key Secret " + namespace + "/" + name + ": " + e.getMessage(), e);
        }
        Optional<String> held = Optional.ofNullable(secret).flatMap(EngineKeySecret::valueOf);
        if (configured.isPresent()) {
            if (secret == null) {
                throw new RuntimeFailure("the engine API key Secret " + namespace + "/" + name
                        + " (studio.chat.kubernetes.engine-api-key-secret) does not exist");
            }
            if (held.isEmpty()) {
                throw new RuntimeFailure(
                        "the engine API key Secret " + namespace + "/" + name + " has no key '" + KEY + "'");
            }
            if (!same(held.get(), key)) {
                throw new RuntimeFailure(
                        "the engine API key Secret " + namespace + "/" + name + " holds another key than this service"
                                + " (studio.engines.api-key): give the service STUDIO_ENGINES_API_KEY from that Secret");
            }
            return name;
        }
        if (held.isPresent() && same(held.get(), key)) {
            return name;
        }
        Secret wanted = new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(StudioLabels.owned(StudioLabels.MANAGED_BY_CHAT_SWITCH))
                .endMetadata()
                .withType("Opaque")
                .withData(Map.of(KEY, Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8))))
                .build();
        try {
            if (secret == null) {
                client.secrets().inNamespace(namespace).resource(wanted).create();
            } else {
                client.secrets().inNamespace(namespace).resource(wanted).update();
            }
        } catch (KubernetesClientException e) {
            throw new RuntimeFailure(
                    "cannot " + (secret == null ? "create" : "update") + " the engine API key Secret " + namespace + "/"
                            + name + ": " + e.getMessage(),
                    e);
        }
        return name;
    }

    private static Optional<String> valueOf(Secret secret) {
        if (secret.getData() != null && secret.getData().get(KEY) != null) {
            return Optional.of(
                    new String(Base64.getDecoder().decode(secret.getData().get(KEY)), StandardCharsets.UTF_8).strip());
        }
        if (secret.getStringData() != null && secret.getStringData().get(KEY) != null) {
            return Optional.of(secret.getStringData().get(KEY).strip());
        }
        return Optional.empty();
    }

    private static boolean same(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
