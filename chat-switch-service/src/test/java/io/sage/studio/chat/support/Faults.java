package io.sage.studio.chat.support;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.chat.runtime.BackendSpec;
import io.sage.studio.chat.runtime.Liveness;
import io.sage.studio.chat.runtime.OpenAiProbe;
import io.sage.studio.chat.runtime.ServingRuntime;
import io.sage.studio.chat.switching.SwitchService;
import io.sage.studio.common.engine.EngineApiKey;

/**
 * One unexpected {@link RuntimeException} at a chosen step of a switch: the first call of {@code method} that the switch
 * executor makes about the engine that served before the switch ({@link Target#OLD}) or any other one
 * ({@link Target#NEW}). Calls of other threads (requests, the monitor) pass. Installed with {@code QuarkusMock} as
 * {@link #runtime(ServingRuntime)} and {@link #probe(ChatConfig, EngineApiKey)}, which wrap the real ones.
 */
public final class Faults {

    /** Which engine a fault hits. */
    public enum Target {
        OLD,
        NEW,
        ANY
    }

    private record Fault(String method, Target target) {}

    private final AtomicReference<Fault> armed = new AtomicReference<>();
    private final AtomicReference<String> fired = new AtomicReference<>();
    private volatile String oldId;
    private volatile String oldBaseUrl;
    private volatile long oldPid;

    /**
     * Arms one fault: {@code method} of {@link ServingRuntime} or {@link OpenAiProbe}, about {@code target}; the old
     * engine is the one with id {@code oldEngineId} (its base URL and pid tell probe calls about it apart while it runs:
     * a recreate's new engine may get the same port).
     */
    public Faults arm(String method, Target target, String oldEngineId, String oldEngineBaseUrl, long oldEnginePid) {
        oldId = oldEngineId;
        oldBaseUrl = oldEngineBaseUrl;
        oldPid = oldEnginePid;
        fired.set(null);
        armed.set(new Fault(method, target));
        return this;
    }

    /** The fault that fired, if it did. */
    public Optional<String> fired() {
        return Optional.ofNullable(fired.get());
    }

    void check(String method, Backend backend) {
        check(method, backend == null ? null : backend.id().equals(oldId));
    }

    void check(String method, String baseUrl) {
        check(
                method,
                baseUrl.equals(oldBaseUrl)
                        && ProcessHandle.of(oldPid).map(ProcessHandle::isAlive).orElse(false));
    }

    private void check(String method, Boolean aboutOld) {
        Fault fault = armed.get();
        if (fault == null
                || !fault.method().equals(method)
                || !Thread.currentThread().getName().equals(SwitchService.EXECUTOR_THREAD)) {
            return;
        }
        boolean old = aboutOld != null && aboutOld;
        boolean hit = switch (fault.target()) {
            case OLD -> old;
            case NEW -> !old;
            case ANY -> true;
        };
        if (hit && armed.compareAndSet(fault, null)) {
            fired.set(method + " " + fault.target());
            throw new IllegalStateException("injected fault in " + method + " (" + fault.target() + " engine)");
        }
    }

    public ServingRuntime runtime(ServingRuntime real) {
        return new FaultyRuntime(real);
    }

    public OpenAiProbe probe(ChatConfig config, EngineApiKey key) {
        return new FaultyProbe(config, key);
    }

    private final class FaultyRuntime implements ServingRuntime {

        private final ServingRuntime real;

        FaultyRuntime(ServingRuntime real) {
            this.real = real;
        }

        @Override
        public String name() {
            check("name", (Backend) null);
            return real.name();
        }

        @Override
        public boolean hasEngines() {
            return real.hasEngines();
        }

        @Override
        public Backend start(BackendSpec spec) throws RuntimeFailure {
            check("start", (Backend) null);
            return real.start(spec);
        }

        @Override
        public Liveness liveness(Backend backend) {
            check("liveness", backend);
            return real.liveness(backend);
        }

        @Override
        public void stop(Backend backend) {
            check("stop", backend);
            real.stop(backend);
        }

        @Override
        public List<Backend> adopt(List<Backend> recorded, Set<String> keep) {
            return real.adopt(recorded, keep);
        }

        @Override
        public String logTail(Backend backend, int lines) {
            return real.logTail(backend, lines);
        }
    }

    private final class FaultyProbe extends OpenAiProbe {

        FaultyProbe(ChatConfig config, EngineApiKey key) {
            super(config, key);
        }

        @Override
        public Result health(String baseUrl) {
            check("health", baseUrl);
            return super.health(baseUrl);
        }

        @Override
        public Optional<List<String>> models(String baseUrl) {
            check("models", baseUrl);
            return super.models(baseUrl);
        }

        @Override
        public Result smoke(String baseUrl, String model) {
            check("smoke", baseUrl);
            return super.smoke(baseUrl, model);
        }

        @Override
        public Result loadLora(String baseUrl, String name, String path) {
            check("loadLora", baseUrl);
            return super.loadLora(baseUrl, name, path);
        }

        @Override
        public Result unloadLora(String baseUrl, String name) {
            check("unloadLora", baseUrl);
            return super.unloadLora(baseUrl, name);
        }

        @Override
        public Optional<Double> inFlight(String baseUrl) {
            check("inFlight", baseUrl);
            return super.inFlight(baseUrl);
        }
    }
}
