package io.sage.studio.chat.runtime;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;

import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.runtime.cloud.NoEngineRuntime;
import io.sage.studio.chat.runtime.kubernetes.KubernetesRuntime;
import io.sage.studio.chat.runtime.local.LocalProcessRuntime;

/** Chooses the runtime from {@code studio.chat.runtime}; {@code studio.chat.force-cloud} (SAGE_FORCE_CLOUD_API) wins. */
@ApplicationScoped
public class RuntimeSelector {

    @Produces
    @ApplicationScoped
    ServingRuntime runtime(
            ChatConfig config,
            Instance<LocalProcessRuntime> local,
            Instance<KubernetesRuntime> kubernetes,
            Instance<NoEngineRuntime> none) {
        if (config.forceCloud()) {
            return none.get();
        }
        return switch (config.runtime()) {
            case LOCAL -> local.get();
            case KUBERNETES -> kubernetes.get();
            case NONE -> none.get();
        };
    }
}
