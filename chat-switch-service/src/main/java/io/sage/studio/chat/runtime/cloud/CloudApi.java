package io.sage.studio.chat.runtime.cloud;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.registry.ServableModel;
import io.sage.studio.chat.runtime.OpenAiProbe;
import io.sage.studio.chat.state.PublishedRoute;

/**
 * The configured OpenAI-compatible cloud API (runtime {@code none}): {@code studio.chat.cloud.base-url},
 * {@code .model}, and {@code .api-key}, which is used here for the readiness checks only and never leaves this
 * class: the route carries the base URL and the model, and the gateway adds its own copy of the key.
 */
@ApplicationScoped
public class CloudApi {

    public static final String BACKEND_ID = "cloud";

    private final Optional<String> baseUrl;
    private final Optional<String> apiKey;
    private final Optional<String> model;
    private final boolean verify;
    private final OpenAiProbe probe;

    public CloudApi(ChatConfig config, OpenAiProbe probe) {
        this.baseUrl = config.cloud()
                .baseUrl()
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .map(CloudApi::withoutV1);
        this.apiKey = config.cloud().apiKey().filter(s -> !s.isBlank());
        this.model = config.cloud().model().map(String::strip).filter(s -> !s.isEmpty());
        this.verify = config.cloud().verify();
        this.probe = probe;
    }

    /** Whether a base URL and a model are configured. */
    public boolean configured() {
        return baseUrl.isPresent() && model.isPresent();
    }

    public Optional<String> defaultModel() {
        return model;
    }

    public Optional<String> baseUrl() {
        return baseUrl;
    }

    /** A model of the cloud API as a switch target (its identity includes the API's URL). */
    public ServableModel model(String name) {
        return new ServableModel(
                "cloud:" + baseUrl.orElse("") + "#" + name,
                name,
                ServableModel.KIND_CLOUD,
                ServableModel.Artifact.CLOUD,
                name,
                null,
                name,
                null,
                null,
                name);
    }

    public PublishedRoute route(ServableModel target) {
        return new PublishedRoute(
                BACKEND_ID, baseUrl.orElseThrow(), target.servedName(), target, "none", Instant.now());
    }

    /** Checks that the API lists the model and generates a token with it; empty when fine, else why not. */
    public Optional<String> verify(String name) {
        if (baseUrl.isEmpty()) {
            return Optional.of("studio.chat.cloud.base-url is not set");
        }
        if (!verify) {
            return Optional.empty();
        }
        String key = apiKey.orElse(null);
        Optional<List<String>> listed = probe.models(baseUrl.get(), key);
        if (listed.isEmpty()) {
            return Optional.of("the cloud API at " + baseUrl.get()
                    + " did not list its models (check the URL and studio.chat.cloud.api-key)");
        }
        if (!listed.get().contains(name)) {
            return Optional.of("the cloud API does not offer the model '" + name + "'");
        }
        OpenAiProbe.Result smoke = probe.smoke(baseUrl.get(), name, key);
        return smoke.ok()
                ? Optional.empty()
                : Optional.of("the cloud API failed a one-token generation: " + smoke.error());
    }

    /** {@code https://api.example.com/v1} → {@code https://api.example.com}: routes carry base URLs without {@code /v1}. */
    static String withoutV1(String url) {
        String trimmed = url.replaceAll("/+$", "");
        return trimmed.endsWith("/v1") ? trimmed.substring(0, trimmed.length() - 3) : trimmed;
    }
}
