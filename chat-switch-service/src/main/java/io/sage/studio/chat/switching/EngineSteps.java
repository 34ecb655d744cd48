package io.sage.studio.chat.switching;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.chat.runtime.Liveness;
import io.sage.studio.chat.runtime.OpenAiProbe;
import io.sage.studio.chat.runtime.ServingRuntime;
import io.sage.studio.chat.switching.SwitchExecutor.SwitchFailure;
import io.sage.studio.chat.switching.SwitchOperation.State;

/**
 * The engine steps a switch and the serving set share, so that a model served by name passes exactly the checks a
 * switch makes: load an adapter (vLLM's "already loaded" answer counts only for the same path), wait for an engine to
 * be ready, list-and-smoke a model, and let in-flight requests finish before an adapter or engine goes.
 */
@ApplicationScoped
class EngineSteps {

    static final Duration POLL = Duration.ofMillis(200);
    private static final int LOG_LINES = 8;

    private final ChatConfig config;
    private final ServingRuntime runtime;
    private final OpenAiProbe probe;

    EngineSteps(ChatConfig config, ServingRuntime runtime, OpenAiProbe probe) {
        this.config = config;
        this.runtime = runtime;
        this.probe = probe;
    }

    /**
     * Loads adapter {@code name} from {@code path} into {@code engine}; true when this call loaded it, false when the
     * engine held it from the same path already. vLLM answers 400 for a name it holds (e.g. loaded by an earlier run
     * of this service): that is the adapter only when it was loaded from the same path, else it is replaced.
     */
    boolean loadAdapter(Operation op, Backend engine, String name, String path) throws SwitchFailure {
        OpenAiProbe.Result result = probe.loadLora(engine.baseUrl(), name, path);
        if (alreadyLoaded(result)) {
            String root = probe.loraRoots(engine.baseUrl())
                    .map(roots -> roots.get(name))
                    .orElse(null);
            if (root != null && SwitchPlanner.sameModel(root, path)) {
                op.note("engine " + engine.id() + " holds adapter " + name + " from this path already");
                return false;
            }
            op.note("engine " + engine.id() + " holds another adapter named " + name
                    + (root == null ? "" : " (from " + root + ")") + "; replacing it");
            probe.unloadLora(engine.baseUrl(), name);
            result = probe.loadLora(engine.baseUrl(), name, path);
        }
        if (!result.ok()) {
            throw new SwitchFailure("the engine refused the adapter: " + result.error());
        }
        return true;
    }

    /** vLLM's answer to loading a name it holds already: 400 "The lora adapter '…' has already been loaded." */
    static boolean alreadyLoaded(OpenAiProbe.Result result) {
        return result.status() == 400 && result.body() != null && result.body().contains("has already been loaded");
    }

    /** Health, the model listed, then the smoke generation, within {@code ready-timeout}; the engine must stay alive. */
    void awaitReady(Operation op, Backend backend, String model) throws SwitchFailure {
        Duration timeout = config.readyTimeout();
        op.step(
                State.WAITING_READY,
                "waiting for engine " + backend.id() + " to answer /health and list " + model + " (up to "
                        + timeout.toSeconds() + " s)");
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean healthy = false;
        String last = "no answer yet";
        while (true) {
            Liveness liveness = runtime.liveness(backend);
            if (!liveness.alive()) {
                throw new SwitchFailure("engine " + backend.id() + " for "
                        + backend.spec().modelPath() + " died before it was ready: " + liveness.reason());
            }
            if (!healthy) {
                OpenAiProbe.Result health = probe.health(backend.baseUrl());
                healthy = health.ok();
                last = healthy ? last : "/health: " + health.error();
            }
            if (healthy) {
                Optional<List<String>> models = probe.models(backend.baseUrl());
                if (models.isPresent() && models.get().contains(model)) {
                    break;
                }
                last = models.map(list -> "/v1/models lists " + list + ", not " + model)
                        .orElse("/v1/models does not answer");
            }
            if (System.nanoTime() > deadline) {
                String tail = runtime.logTail(backend, LOG_LINES);
                throw new SwitchFailure("engine " + backend.id() + " was not ready within " + timeout.toSeconds()
                        + " s (" + last + ")" + (tail.isEmpty() ? "" : "; last output:\n" + tail));
            }
            pause(POLL);
        }
        op.note("engine " + backend.id() + " is healthy and lists " + model);
        smoke(op, backend, model);
    }

    /** A model just loaded into a running engine: listed at {@code /v1/models}, then the smoke generation. */
    void awaitListedAndSmoke(Operation op, Backend engine, String model) throws SwitchFailure {
        op.step(State.WAITING_READY, "checking that engine " + engine.id() + " lists " + model);
        Optional<List<String>> models = probe.models(engine.baseUrl());
        if (models.isEmpty() || !models.get().contains(model)) {
            throw new SwitchFailure("engine " + engine.id() + " does not list " + model + " after loading it");
        }
        smoke(op, engine, model);
    }

    private void smoke(Operation op, Backend backend, String model) throws SwitchFailure {
        if (config.smokeTest()) {
            op.step(State.SMOKE_TEST, "one-token generation with " + model);
            OpenAiProbe.Result result = probe.smoke(backend.baseUrl(), model);
            if (!result.ok()) {
                throw new SwitchFailure("the smoke generation with " + model + " failed: " + result.error());
            }
        }
        op.ready();
    }

    /**
     * Lets in-flight requests finish: at least {@code minimum} (gateways may still send what they routed just before),
     * then until the engine's request gauges read zero twice, at most {@code drain-grace}.
     */
    void drain(Backend backend, Duration minimum) {
        long start = System.nanoTime();
        long deadline = start + config.drainGrace().toNanos();
        long settle = start + Math.min(minimum.toNanos(), config.drainGrace().toNanos());
        int idle = 0;
        while (System.nanoTime() < deadline && runtime.liveness(backend).alive()) {
            Optional<Double> inFlight = probe.inFlight(backend.baseUrl());
            idle = inFlight.isPresent() && inFlight.get() == 0 ? idle + 1 : 0;
            if (idle >= 2 && System.nanoTime() >= settle) {
                return;
            }
            try {
                pause(POLL);
            } catch (SwitchFailure e) {
                return;
            }
        }
    }

    /** Drains {@code engine}, then unloads adapter {@code name} from it; whether the engine confirmed. */
    boolean drainAndUnload(Backend engine, String name, Duration minimum) {
        drain(engine, minimum);
        return probe.unloadLora(engine.baseUrl(), name).ok();
    }

    static void pause(Duration duration) throws SwitchFailure {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SwitchFailure("interrupted");
        }
    }
}
