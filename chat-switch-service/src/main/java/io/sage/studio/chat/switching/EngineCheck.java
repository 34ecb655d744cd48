package io.sage.studio.chat.switching;

import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.chat.runtime.OpenAiProbe;
import io.sage.studio.chat.runtime.ServingRuntime;

/** Whether an engine can take chat right now: alive, healthy, listing the model and (with smoke tests on) generating. */
@ApplicationScoped
class EngineCheck {

    private final ServingRuntime runtime;
    private final OpenAiProbe probe;
    private final boolean smoke;

    EngineCheck(ServingRuntime runtime, OpenAiProbe probe, ChatConfig config) {
        this.runtime = runtime;
        this.probe = probe;
        this.smoke = config.smokeTest();
    }

    /** Empty when {@code engine} serves {@code served} now, else why not. */
    Optional<String> whyNotServing(Backend engine, String served) {
        if (!runtime.liveness(engine).alive()) {
            return Optional.of("engine " + engine.id() + " is gone");
        }
        OpenAiProbe.Result health = probe.health(engine.baseUrl());
        if (!health.ok()) {
            return Optional.of("engine " + engine.id() + " is not healthy (" + health.error() + ")");
        }
        Optional<List<String>> models = probe.models(engine.baseUrl());
        if (models.isEmpty() || !models.get().contains(served)) {
            return Optional.of("engine " + engine.id() + " does not list " + served);
        }
        if (smoke) {
            OpenAiProbe.Result result = probe.smoke(engine.baseUrl(), served);
            if (!result.ok()) {
                return Optional.of(
                        "engine " + engine.id() + " failed a generation with " + served + " (" + result.error() + ")");
            }
        }
        return Optional.empty();
    }

    boolean serves(Backend engine, String served) {
        return whyNotServing(engine, served).isEmpty();
    }
}
