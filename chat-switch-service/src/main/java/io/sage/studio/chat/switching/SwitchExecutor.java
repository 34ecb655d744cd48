package io.sage.studio.chat.switching;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.messaging.RoutePublisher;
import io.sage.studio.chat.messaging.RoutePublisher.RoutingFailure;
import io.sage.studio.chat.registry.ResolvedModel;
import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.chat.runtime.BackendSpec;
import io.sage.studio.chat.runtime.Liveness;
import io.sage.studio.chat.runtime.OpenAiProbe;
import io.sage.studio.chat.runtime.ServingRuntime;
import io.sage.studio.chat.runtime.cloud.CloudApi;
import io.sage.studio.chat.state.ActiveRoute;
import io.sage.studio.chat.state.ChatState;
import io.sage.studio.chat.switching.SwitchOperation.State;

/**
 * Carries out a {@link Plan}, one at a time (the caller holds the switch slot). Every path ends in
 * {@link Operation#complete} or {@link Operation#fail}; a failure leaves the previous model serving (or serving
 * again, for recreate) and says why, with the engine's last output when it died.
 */
@ApplicationScoped
class SwitchExecutor {

    private static final Logger LOG = Logger.getLogger(SwitchExecutor.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final int LOG_LINES = 8;
    /**
     * Gateways apply a new route within milliseconds; requests they sent just before must still reach the old engine.
     * Blue-green waits generously (nobody waits for it); recreate, whose wait is downtime, only briefly: the route
     * already says SWITCHING, so what arrives late would be refused anyway.
     */
    private static final Duration SETTLE_BLUE_GREEN = Duration.ofSeconds(1);
    private static final Duration SETTLE_RECREATE = Duration.ofMillis(300);

    private final ChatConfig config;
    private final ServingRuntime runtime;
    private final OpenAiProbe probe;
    private final RoutePublisher routes;
    private final ChatState state;
    private final CloudApi cloud;
    private final SwitchPlanner planner;

    SwitchExecutor(ChatConfig config, ServingRuntime runtime, OpenAiProbe probe, RoutePublisher routes, ChatState state,
            CloudApi cloud, SwitchPlanner planner) {
        this.config = config;
        this.runtime = runtime;
        this.probe = probe;
        this.routes = routes;
        this.state = state;
        this.cloud = cloud;
        this.planner = planner;
    }

    /** A step of a switch failed; the message is what the user reads. */
    static final class SwitchFailure extends Exception {
        SwitchFailure(String message) {
            super(message);
        }
    }

    void run(Operation op, Plan plan) {
        try {
            switch (plan.strategy()) {
                case NONE -> noop(op, plan);
                case CLOUD -> cloud(op, plan);
                case LORA_HOT_LOAD -> hotLoad(op, plan);
                case BLUE_GREEN -> blueGreen(op, plan);
                case RECREATE -> recreate(op, plan);
                default -> op.fail("unplanned strategy " + plan.strategy(), false);
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "switch %s failed unexpectedly", op.id());
            if (!op.state().terminal()) {
                op.fail("unexpected error: " + e.getMessage(), false);
            }
        }
    }

    private void noop(Operation op, Plan plan) {
        ActiveRoute route = state.route().orElseThrow();
        op.routed(route.since(), route.servedModelName(), route.model().displayName());
        op.complete(plan.target().displayName() + " already serves; nothing to do");
    }

    private void cloud(Operation op, Plan plan) {
        ResolvedModel target = plan.target();
        op.step(State.WAITING_READY, "checking the cloud API for " + target.servedName());
        Optional<String> problem = cloud.verify(target.servedName());
        if (problem.isPresent()) {
            op.fail(problem.get(), false);
            return;
        }
        op.ready();
        op.step(State.ROUTING, "routing chat to the cloud API");
        try {
            Instant at = routes.active(cloud.route(target), op.id());
            op.routed(at, target.servedName(), target.displayName());
        } catch (RoutingFailure e) {
            op.fail(e.getMessage(), false);
            return;
        }
        op.complete("chat goes to the cloud API, model " + target.servedName());
    }

    private void hotLoad(Operation op, Plan plan) {
        ResolvedModel target = plan.target();
        Backend engine = plan.current();
        String served = target.servedName();
        Optional<ActiveRoute> previous = state.route();
        boolean loaded = false;
        if (target.isLora() && !engine.adapters().containsKey(served)) {
            op.step(State.STARTING, "loading adapter " + served + " (rank " + target.loraRank() + ") from " + target.adapterPath()
                    + " into engine " + engine.id());
            OpenAiProbe.Result result = probe.loadLora(engine.baseUrl(), served, target.adapterPath());
            if (!result.ok()) {
                op.fail("the engine refused the adapter: " + result.error(), false);
                return;
            }
            engine = engine.withAdapter(served, target.adapterPath());
            state.put(engine);
            loaded = true;
        }
        try {
            awaitListedAndSmoke(op, engine, served);
            op.step(State.ROUTING, "routing chat to " + served + " on engine " + engine.id());
            Instant at = routes.active(routeTo(engine, target, served), op.id());
            op.routed(at, served, target.displayName());
        } catch (SwitchFailure | RoutingFailure e) {
            if (loaded) {
                probe.unloadLora(engine.baseUrl(), served);
                state.put(engine.withoutAdapter(served));
            }
            op.fail(e.getMessage(), loaded);
            return;
        }
        String old = previous.map(ActiveRoute::servedModelName).orElse(null);
        if (old != null && !old.equals(served) && engine.adapters().containsKey(old)) {
            op.step(State.DRAINING, "waiting for requests to " + old + " to finish, then unloading it");
            drain(engine, SETTLE_BLUE_GREEN);
            probe.unloadLora(engine.baseUrl(), old);
            state.put(engine.withoutAdapter(old));
        }
        op.complete("switched to " + target.displayName() + " without restarting the engine");
    }

    private void blueGreen(Operation op, Plan plan) {
        ResolvedModel target = plan.target();
        Backend old = plan.current();
        Backend fresh;
        try {
            fresh = start(op, plan.spec(), target);
        } catch (SwitchFailure e) {
            op.fail(e.getMessage(), false);
            return;
        }
        try {
            awaitReady(op, fresh, target.servedName());
            op.step(State.ROUTING, "routing chat to engine " + fresh.id() + (old == null ? "" : " (was " + old.id() + ")"));
            Instant at = routes.active(routeTo(fresh, target, target.servedName()), op.id());
            op.routed(at, target.servedName(), target.displayName());
            fresh = fresh.withState(Backend.State.READY);
            state.put(fresh);
        } catch (SwitchFailure | RoutingFailure e) {
            discard(fresh);
            op.fail(e.getMessage() + (old == null ? "" : "; " + old.spec().servedName() + " keeps serving"), old != null);
            return;
        }
        if (old != null) {
            op.step(State.DRAINING, "draining engine " + old.id() + " (up to " + config.drainGrace().toSeconds() + " s)");
            retire(old, SETTLE_BLUE_GREEN);
        }
        op.complete("switched to " + target.displayName() + " on engine " + fresh.id());
    }

    private void recreate(Operation op, Plan plan) {
        ResolvedModel target = plan.target();
        Backend old = plan.current();
        Optional<ActiveRoute> previous = state.route();
        Instant down;
        try {
            op.step(State.ROUTING, "gateways answer 503 with Retry-After while the engine is replaced");
            down = routes.switching(op.id());
        } catch (RoutingFailure e) {
            op.fail(e.getMessage(), false);
            return;
        }
        if (old != null) {
            op.step(State.DRAINING, "draining and stopping engine " + old.id());
            retire(old, SETTLE_RECREATE);
        }
        Backend fresh = null;
        try {
            fresh = start(op, plan.spec(), target);
            awaitReady(op, fresh, target.servedName());
            op.step(State.ROUTING, "routing chat to engine " + fresh.id());
            Instant at = routes.active(routeTo(fresh, target, target.servedName()), op.id());
            op.routed(at, target.servedName(), target.displayName());
            op.downtime(Duration.between(down, at));
            fresh = fresh.withState(Backend.State.READY);
            state.put(fresh);
        } catch (SwitchFailure | RoutingFailure e) {
            if (fresh != null) {
                discard(fresh);
            }
            restore(op, e.getMessage(), plan.restart() ? null : old, previous.orElse(null), down);
            return;
        }
        op.complete("switched to " + target.displayName() + " on engine " + fresh.id() + " after "
                + op.view().timings().downtimeMs() + " ms without a backend");
    }

    /** Recreate failed: start the previous model again and route back to it; if even that fails, route to nothing. */
    private void restore(Operation op, String reason, Backend old, ActiveRoute previous, Instant down) {
        if (old == null || previous == null) {
            publishNone(op);
            op.fail(reason, false);
            return;
        }
        op.note("rolling back: starting " + previous.model().displayName() + " again");
        BackendSpec spec = old.restartSpec(planner.spec(previous.model()).id());
        Backend again = null;
        try {
            again = start(op, spec, previous.model());
            awaitReady(op, again, previous.servedModelName());
            again = again.withState(Backend.State.READY);
            state.put(again);
            Instant at = routes.active(routeTo(again, previous.model(), previous.servedModelName()), op.id());
            op.downtime(Duration.between(down, at));
            op.fail(reason + "; the previous model " + previous.model().displayName() + " serves again", true);
        } catch (SwitchFailure | RoutingFailure e) {
            if (again != null) {
                discard(again);
            }
            publishNone(op);
            op.fail(reason + "; restoring the previous model failed too: " + e.getMessage(), false);
        }
    }

    private void publishNone(Operation op) {
        try {
            routes.none(op.id());
        } catch (RoutingFailure e) {
            LOG.errorf("cannot publish that no backend serves: %s", e.getMessage());
        }
    }

    private Backend start(Operation op, BackendSpec spec, ResolvedModel target) throws SwitchFailure {
        op.step(State.STARTING, "starting engine " + spec.id() + " for " + target.displayName() + " (" + spec.modelPath()
                + (spec.adapters().isEmpty() ? "" : " with adapter " + String.join(", ", spec.adapters().keySet())) + ")");
        try {
            Backend backend = runtime.start(spec);
            state.put(backend);
            op.restarted();
            op.note("engine " + backend.id() + " started at " + backend.baseUrl());
            return backend;
        } catch (ServingRuntime.RuntimeFailure e) {
            throw new SwitchFailure(e.getMessage());
        }
    }

    /** Health, the model listed, then the smoke generation, within {@code ready-timeout}; the engine must stay alive. */
    private void awaitReady(Operation op, Backend backend, String model) throws SwitchFailure {
        Duration timeout = config.readyTimeout();
        op.step(State.WAITING_READY, "waiting for engine " + backend.id() + " to answer /health and list " + model
                + " (up to " + timeout.toSeconds() + " s)");
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean healthy = false;
        String last = "no answer yet";
        while (true) {
            Liveness liveness = runtime.liveness(backend);
            if (!liveness.alive()) {
                throw new SwitchFailure("engine " + backend.id() + " for " + backend.spec().modelPath() + " died before it was ready: "
                        + liveness.reason());
            }
            if (!healthy) {
                OpenAiProbe.Result health = probe.health(backend.baseUrl());
                healthy = health.ok();
                last = healthy ? last : "/health: " + health.error();
            }
            if (healthy) {
                Optional<List<String>> models = probe.models(backend.baseUrl(), null);
                if (models.isPresent() && models.get().contains(model)) {
                    break;
                }
                last = models.map(list -> "/v1/models lists " + list + ", not " + model).orElse("/v1/models does not answer");
            }
            if (System.nanoTime() > deadline) {
                String tail = runtime.logTail(backend, LOG_LINES);
                throw new SwitchFailure("engine " + backend.id() + " was not ready within " + timeout.toSeconds() + " s (" + last + ")"
                        + (tail.isEmpty() ? "" : "; last output:\n" + tail));
            }
            pause(POLL);
        }
        op.note("engine " + backend.id() + " is healthy and lists " + model);
        smoke(op, backend, model);
    }

    private void awaitListedAndSmoke(Operation op, Backend engine, String model) throws SwitchFailure {
        op.step(State.WAITING_READY, "checking that engine " + engine.id() + " lists " + model);
        Optional<List<String>> models = probe.models(engine.baseUrl(), null);
        if (models.isEmpty() || !models.get().contains(model)) {
            throw new SwitchFailure("engine " + engine.id() + " does not list " + model + " after loading it");
        }
        smoke(op, engine, model);
    }

    private void smoke(Operation op, Backend backend, String model) throws SwitchFailure {
        if (config.smokeTest()) {
            op.step(State.SMOKE_TEST, "one-token generation with " + model);
            OpenAiProbe.Result result = probe.smoke(backend.baseUrl(), model, null);
            if (!result.ok()) {
                throw new SwitchFailure("the smoke generation with " + model + " failed: " + result.error());
            }
        }
        op.ready();
    }

    private ActiveRoute routeTo(Backend backend, ResolvedModel target, String served) {
        return new ActiveRoute(backend.id(), backend.baseUrl(), served, target, runtime.name(), Instant.now());
    }

    /** Lets in-flight requests finish (the engine's request gauges reach zero, or the drain grace ends), then stops it. */
    private void retire(Backend old, Duration settle) {
        state.put(old.withState(Backend.State.DRAINING));
        drain(old, settle);
        runtime.stop(old);
        state.remove(old.id());
    }

    private void drain(Backend backend, Duration minimum) {
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

    private void discard(Backend backend) {
        runtime.stop(backend);
        state.remove(backend.id());
    }

    private static void pause(Duration duration) throws SwitchFailure {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SwitchFailure("interrupted");
        }
    }
}
