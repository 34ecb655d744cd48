package io.sage.studio.chat.runtime.cloud;

import java.util.List;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.chat.runtime.BackendSpec;
import io.sage.studio.chat.runtime.Liveness;
import io.sage.studio.chat.runtime.ServingRuntime;

/** Runtime {@code none}: no local engine; chat goes to the cloud API ({@link CloudApi}). */
@ApplicationScoped
@Typed(NoEngineRuntime.class)
public class NoEngineRuntime implements ServingRuntime {

    @Override
    public String name() {
        return "none";
    }

    @Override
    public boolean hasEngines() {
        return false;
    }

    @Override
    public Backend start(BackendSpec spec) throws RuntimeFailure {
        throw new RuntimeFailure("runtime none starts no engines (cloud mode)");
    }

    @Override
    public Liveness liveness(Backend backend) {
        return Liveness.dead("runtime none runs no engines");
    }

    @Override
    public void stop(Backend backend) {
        // Nothing runs here.
    }

    @Override
    public List<Backend> adopt(List<Backend> recorded, Set<String> keep) {
        return List.of();
    }

    @Override
    public String logTail(Backend backend, int lines) {
        return "";
    }
}
