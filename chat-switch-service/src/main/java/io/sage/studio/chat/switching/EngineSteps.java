package io.sage.studio.chat.switching;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.chat.runtime.Liveness;
import io.sage.studio.chat.runtime.OpenAiProbe;
import io.sage.studio.chat.runtime.Replica;
import io.sage.studio.chat.runtime.ServingRuntime;
import io.sage.studio.chat.switching.SwitchExecutor.SwitchFailure;
import io.sage.studio.chat.switching.SwitchOperation.State;

/**
 * The engine steps a switch and the serving set share, so that a model served by name passes exactly the checks a
 * switch makes: load an adapter (vLLM's "already loaded" answer counts only for the same path), wait for an engine to
 * be ready, list-and-smoke a model, and let in-flight requests finish before an adapter or engine goes. Each step
 * covers every {@link Replica} of the engine: a runtime adapter lives in one vLLM process, so an engine of several
 * pods serves it only when each pod holds it.
 */
@ApplicationScoped
class EngineSteps {

    private static final Logger LOG = Logger.getLogger(EngineSteps.class);
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
     * Loads adapter {@code name} from {@code path} into every replica of {@code engine} (each pod of a Deployment is a
     * vLLM process of its own); true when this call loaded it somewhere, false when every replica held it from the same
     * path already. Fails when no replica is ready or one refuses (the caller unloads it again everywhere).
     */
    boolean loadAdapter(Operation op, Backend engine, String name, String path) throws SwitchFailure {
        List<Replica> replicas = runtime.replicas(engine);
        if (replicas.isEmpty()) {
            throw new SwitchFailure("no replica of engine " + engine.id() + " is ready to take adapter " + name);
        }
        boolean loaded = false;
        for (Replica replica : replicas) {
            loaded |= loadAdapter(op, engine, replica, name, path);
        }
        return loaded;
    }

    /**
     * Loads adapter {@code name} into one replica; true when this call loaded it, false when the replica held it from
     * the same path already. vLLM answers 400 for a name it holds (e.g. loaded by an earlier run of this service): that
     * is the adapter only when it was loaded from the same path, else it is replaced. {@code op} may be null (the
     * monitor): the notes are logged.
     */
    boolean loadAdapter(Operation op, Backend engine, Replica replica, String name, String path) throws SwitchFailure {
        String where = where(engine, replica);
        OpenAiProbe.Result result = probe.loadLora(replica.url(), name, path);
        if (alreadyLoaded(result)) {
            String root =
                    probe.loraRoots(replica.url()).map(roots -> roots.get(name)).orElse(null);
            if (root != null && SwitchPlanner.sameModel(root, path)) {
                note(op, where + " holds adapter " + name + " from this path already");
                return false;
            }
            note(
                    op,
                    where + " holds another adapter named " + name + (root == null ? "" : " (from " + root + ")")
                            + "; replacing it");
            probe.unloadLora(replica.url(), name);
            result = probe.loadLora(replica.url(), name, path);
        }
        if (!result.ok()) {
            throw new SwitchFailure(where + " refused the adapter: " + result.error());
        }
        return true;
    }

    /** Unloads adapter {@code name} from every replica of {@code engine}; whether each confirmed. */
    boolean unloadAdapter(Backend engine, String name) {
        boolean all = true;
        for (Replica replica : runtime.replicas(engine)) {
            all &= probe.unloadLora(replica.url(), name).ok();
        }
        return all;
    }

    /** "engine X", and the replica when the engine has one that is not itself (a pod). */
    static String where(Backend engine, Replica replica) {
        return replica.name().equals(engine.id())
                ? "engine " + engine.id()
                : "engine " + engine.id() + " (" + replica.name() + ")";
    }

    private static void note(Operation op, String message) {
        if (op == null) {
            LOG.info(message);
        } else {
            op.note(message);
        }
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
                Optional<String> notListed = whyNotListed(backend, model);
                if (notListed.isEmpty()) {
                    break;
                }
                last = notListed.get();
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

    /** Empty when every ready replica of {@code engine} lists {@code model} at {@code /v1/models}, else why not. */
    private Optional<String> whyNotListed(Backend engine, String model) {
        List<Replica> replicas = runtime.replicas(engine);
        if (replicas.isEmpty()) {
            return Optional.of("no replica is ready");
        }
        for (Replica replica : replicas) {
            Optional<List<String>> models = probe.models(replica.url());
            if (models.isEmpty() || !models.get().contains(model)) {
                String prefix = replica.name().equals(engine.id()) ? "" : replica.name() + ": ";
                return Optional.of(prefix
                        + models.map(list -> "/v1/models lists " + list + ", not " + model)
                                .orElse("/v1/models does not answer"));
            }
        }
        return Optional.empty();
    }

    /** A model just loaded into a running engine: listed at {@code /v1/models} of every replica, then the smoke. */
    void awaitListedAndSmoke(Operation op, Backend engine, String model) throws SwitchFailure {
        op.step(State.WAITING_READY, "checking that engine " + engine.id() + " lists " + model);
        Optional<String> notListed = whyNotListed(engine, model);
        if (notListed.isPresent()) {
            throw new SwitchFailure("engine " + engine.id() + " does not list " + model + " after loading it ("
                    + notListed.get() + ")");
        }
        smoke(op, engine, model);
    }

    /** The one-token generation on every replica (a Service would pick one at random). */
    private void smoke(Operation op, Backend backend, String model) throws SwitchFailure {
        if (config.smokeTest()) {
            op.step(State.SMOKE_TEST, "one-token generation with " + model);
            for (Replica replica : runtime.replicas(backend)) {
                OpenAiProbe.Result result = probe.smoke(replica.url(), model);
                if (!result.ok()) {
                    String on = replica.name().equals(backend.id()) ? "" : " on " + replica.name();
                    throw new SwitchFailure("the smoke generation with " + model + on + " failed: " + result.error());
                }
            }
        }
        op.ready();
    }

    /**
     * Lets in-flight requests finish: at least {@code minimum} (gateways may still send what they routed just before),
     * then until the request gauges of every replica read zero twice, at most {@code drain-grace}.
     */
    void drain(Backend backend, Duration minimum) {
        long start = System.nanoTime();
        long deadline = start + config.drainGrace().toNanos();
        long settle = start + Math.min(minimum.toNanos(), config.drainGrace().toNanos());
        int idle = 0;
        while (System.nanoTime() < deadline && runtime.liveness(backend).alive()) {
            Optional<Double> inFlight = inFlight(backend);
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

    /** Requests running or waiting on all replicas together; empty when one does not answer. */
    private Optional<Double> inFlight(Backend engine) {
        double sum = 0;
        for (Replica replica : runtime.replicas(engine)) {
            Optional<Double> one = probe.inFlight(replica.url());
            if (one.isEmpty()) {
                return Optional.empty();
            }
            sum += one.get();
        }
        return Optional.of(sum);
    }

    /** Drains {@code engine}, then unloads adapter {@code name} from each replica; whether every one confirmed. */
    boolean drainAndUnload(Backend engine, String name, Duration minimum) {
        drain(engine, minimum);
        return unloadAdapter(engine, name);
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
