package io.sage.studio.chat.switching;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.messaging.RoutePublisher;
import io.sage.studio.chat.messaging.RoutePublisher.RoutingFailure;
import io.sage.studio.chat.registry.ServableModel;
import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.chat.runtime.BackendSpec;
import io.sage.studio.chat.runtime.ServingRuntime;
import io.sage.studio.chat.runtime.cloud.CloudApi;
import io.sage.studio.chat.state.ChatState;
import io.sage.studio.chat.state.PublishedRoute;
import io.sage.studio.chat.state.RouteState;
import io.sage.studio.chat.switching.SwitchOperation.State;
import io.sage.studio.common.tracing.Tracing;

/**
 * Carries out a {@link Plan}, one at a time (the caller holds the switch slot). Every path ends in
 * {@link Operation#complete} or {@link Operation#fail} with a consistent route: the old model serving (or serving
 * again, for recreate), the new one, or nothing — never an engine that was stopped, never {@code SWITCHING}.
 * <ul>
 * <li>A step that fails ({@link SwitchFailure}) undoes what the switch started; the route never moved, or (recreate)
 * the previous model is started again.</li>
 * <li>A route the broker did not acknowledge ({@link RoutingFailure}) may still have reached the topic, so the route
 * to keep is published again; until that is acknowledged no engine a gateway may follow is stopped (the route stays
 * pending in {@link ChatState} and the monitor publishes it).</li>
 * <li>Anything unexpected (a {@link RuntimeException} or {@link Error} at any step) is recovered from what this switch
 * has done so far ({@link Attempt}): keep the route it published if its engine serves, else the previous route if its
 * engine serves, else an engine this switch started that serves, else (recreate) start the previous model again,
 * else route to nothing; then stop every engine the route does not name.</li>
 * </ul>
 */
@ApplicationScoped
class SwitchExecutor {

    private static final Logger LOG = Logger.getLogger(SwitchExecutor.class);
    /**
     * Gateways apply a new route within milliseconds; requests they sent just before must still reach the old engine.
     * Blue-green waits generously (nobody waits for it); recreate, whose wait is downtime, only briefly: the route
     * already says SWITCHING, so what arrives late would be refused anyway.
     */
    static final Duration SETTLE_BLUE_GREEN = Duration.ofSeconds(1);

    private static final Duration SETTLE_RECREATE = Duration.ofMillis(300);

    private final ChatConfig config;
    private final ServingRuntime runtime;
    private final RoutePublisher routes;
    private final ChatState state;
    private final CloudApi cloud;
    private final SwitchPlanner planner;
    private final EngineCheck check;
    private final EngineSteps steps;
    /** The switch and its steps as spans ({@link Operation#trace}); a no-op tracer while tracing is off. */
    private final Tracer tracer;

    SwitchExecutor(
            ChatConfig config,
            ServingRuntime runtime,
            RoutePublisher routes,
            ChatState state,
            CloudApi cloud,
            SwitchPlanner planner,
            EngineCheck check,
            EngineSteps steps,
            Tracer tracer) {
        this.config = config;
        this.runtime = runtime;
        this.routes = routes;
        this.state = state;
        this.cloud = cloud;
        this.planner = planner;
        this.check = check;
        this.steps = steps;
        // Quarkus' disabled SDK still hands out valid (unexported) span ids: off must mean no trace_id at all.
        this.tracer = Tracing.enabled() ? tracer : OpenTelemetry.noop().getTracer("off");
    }

    /** A step of a switch failed; the message is what the user reads. */
    static final class SwitchFailure extends Exception {
        SwitchFailure(String message) {
            super(message);
        }
    }

    /** An engine this switch started, and what it was started to serve. */
    private record Started(Backend backend, ServableModel model, String served) {

        String backendId() {
            return backend.id();
        }
    }

    /** What one switch has changed so far: enough to finish or undo it after any failure. */
    private static final class Attempt {
        final Operation op;
        final Plan plan;
        final RouteState previousState;
        final PublishedRoute previous;
        final List<Started> started = new ArrayList<>();
        /** A publication was tried: the topic may differ from {@code previous}. */
        boolean routeTouched;
        /** The adapter this switch loaded into the running engine, or {@code null}. */
        String loadedAdapter;
        /** The route to the target, once the broker acknowledged it. */
        PublishedRoute routed;
        /** When SWITCHING was acknowledged (recreate). */
        Instant down;
        /** The target's entry in the served set, taken out because it becomes the default, or {@code null}. */
        PublishedRoute unservedByName;

        Attempt(Operation op, Plan plan, RouteState previousState, PublishedRoute previous) {
            this.op = op;
            this.plan = plan;
            this.previousState = previousState;
            this.previous = previous;
        }

        /** The old engine, when a recreate may start it again (not for the restart of a dead engine). */
        Backend restorable() {
            return plan.restart() ? null : plan.current();
        }
    }

    void run(Operation op, Plan plan) {
        Attempt a = new Attempt(op, plan, state.routeState(), state.route().orElse(null));
        try (Scope traced = op.trace(tracer).makeCurrent()) {
            switch (plan.strategy()) {
                case NONE -> noop(a);
                case CLOUD -> cloud(a);
                case LORA_HOT_LOAD -> hotLoad(a);
                case BLUE_GREEN -> blueGreen(a);
                case RECREATE -> recreate(a);
                default -> op.fail("unplanned strategy " + plan.strategy(), false);
            }
        } catch (RuntimeException | Error e) {
            LOG.errorf(e, "switch %s failed unexpectedly", op.id());
            String reason = "unexpected error: " + describe(e);
            try {
                recover(a, reason);
            } catch (RuntimeException | Error again) {
                LOG.errorf(
                        again,
                        "switch %s: recovering from the unexpected error failed too; the monitor settles the route",
                        op.id());
                op.fail(
                        reason + "; recovering failed too (" + describe(again) + "); the monitor settles the route",
                        false);
            }
        }
    }

    private void noop(Attempt a) {
        PublishedRoute route = state.route().orElseThrow();
        a.op.routed(route.since(), route.servedModelName(), route.model());
        a.op.complete(a.plan.target().displayName() + " already serves; nothing to do");
    }

    private void cloud(Attempt a) {
        Operation op = a.op;
        ServableModel target = a.plan.target();
        op.step(State.WAITING_READY, "checking the cloud API for " + target.servedName());
        Optional<String> problem = cloud.verify(target.servedName());
        if (problem.isPresent()) {
            op.fail(problem.get(), false);
            return;
        }
        op.ready();
        op.step(State.ROUTING, "routing chat to the cloud API");
        try {
            PublishedRoute route = cloud.route(target);
            a.routeTouched = true;
            Instant at = routes.active(route, op.id());
            a.routed = route;
            op.routed(at, target.servedName(), target);
        } catch (RoutingFailure e) {
            rollBackRoute(a, e.getMessage());
            return;
        }
        op.complete("chat goes to the cloud API, model " + target.servedName());
    }

    private void hotLoad(Attempt a) {
        Operation op = a.op;
        ServableModel target = a.plan.target();
        Backend engine = a.plan.current();
        String served = target.servedName();
        if (target.isLora() && !engine.adapters().containsKey(served)) {
            op.step(
                    State.STARTING,
                    "loading adapter " + served + " (rank " + target.loraRank() + ") from " + target.adapterPath()
                            + " into engine " + engine.id());
            try {
                if (steps.loadAdapter(op, engine, served, target.adapterPath())) {
                    a.loadedAdapter = served;
                }
            } catch (SwitchFailure e) {
                op.fail(e.getMessage(), false);
                return;
            }
            engine = engine.withAdapter(served, target.adapterPath());
            state.put(engine);
        }
        try {
            steps.awaitListedAndSmoke(op, engine, served);
            op.step(State.ROUTING, "routing chat to " + served + " on engine " + engine.id());
            PublishedRoute route = routeTo(engine, target, served);
            a.routeTouched = true;
            // A model served by name becomes the default: it leaves the served set with the same route event.
            a.unservedByName = servedByName(served).orElse(null);
            if (a.unservedByName != null) {
                state.unserve(served);
            }
            Instant at = routes.active(route, op.id());
            a.routed = route;
            op.routed(at, served, target);
        } catch (SwitchFailure e) {
            boolean loaded = a.loadedAdapter != null;
            unloadAdapter(a);
            op.fail(e.getMessage(), loaded);
            return;
        } catch (RoutingFailure e) {
            rollBackRoute(a, e.getMessage());
            return;
        }
        releasePrevious(a, engine, served);
        op.complete("switched to " + target.displayName() + " without restarting the engine");
    }

    /**
     * After a hot-load moved the default to {@code served} on {@code engine}: the previous default's adapter is unloaded
     * (once its requests finished) unless it is served by name, and its engine, when it is another one that serves
     * nothing by name, is drained and stopped.
     */
    private void releasePrevious(Attempt a, Backend engine, String served) {
        PublishedRoute previous = a.previous;
        if (previous == null || a.previousState != RouteState.ACTIVE) {
            return;
        }
        Optional<Backend> before = state.backend(previous.backendId());
        if (before.isEmpty()) {
            return;
        }
        Backend prevEngine = before.get();
        String old = previous.servedModelName();
        if (!prevEngine.id().equals(engine.id())) {
            if (!state.servingBackendIds().contains(prevEngine.id())) {
                a.op.step(
                        State.DRAINING,
                        "draining engine " + prevEngine.id() + " (up to "
                                + config.drainGrace().toSeconds() + " s)");
                retire(prevEngine, SETTLE_BLUE_GREEN);
            }
            return;
        }
        if (old.equals(served) || !prevEngine.adapters().containsKey(old)) {
            return;
        }
        if (servedByName(old).isPresent()) {
            a.op.note(old + " stays loaded: it is served by name");
            return;
        }
        a.op.step(State.DRAINING, "waiting for requests to " + old + " to finish, then unloading it");
        steps.drainAndUnload(prevEngine, old, SETTLE_BLUE_GREEN);
        state.backend(prevEngine.id()).ifPresent(b -> state.put(b.withoutAdapter(old)));
    }

    private Optional<PublishedRoute> servedByName(String servedName) {
        return state.served().stream()
                .filter(r -> r.servedModelName().equals(servedName))
                .findFirst();
    }

    private void blueGreen(Attempt a) {
        Operation op = a.op;
        ServableModel target = a.plan.target();
        Backend old = a.plan.current();
        Backend fresh;
        try {
            fresh = start(a, a.plan.spec(), target, target.servedName());
        } catch (SwitchFailure e) {
            op.fail(e.getMessage(), false);
            return;
        }
        try {
            steps.awaitReady(op, fresh, target.servedName());
            op.step(
                    State.ROUTING,
                    "routing chat to engine " + fresh.id() + (old == null ? "" : " (was " + old.id() + ")"));
            PublishedRoute route = routeTo(fresh, target, target.servedName());
            a.routeTouched = true;
            Instant at = routes.active(route, op.id());
            a.routed = route;
            op.routed(at, target.servedName(), target);
            fresh = fresh.withState(Backend.State.READY);
            state.put(fresh);
        } catch (SwitchFailure e) {
            discard(fresh);
            op.fail(
                    e.getMessage() + (old == null ? "" : "; " + old.spec().servedName() + " keeps serving"),
                    old != null);
            return;
        } catch (RoutingFailure e) {
            rollBackRoute(a, e.getMessage());
            return;
        }
        if (old != null && state.servingBackendIds().contains(old.id())) {
            op.note("engine " + old.id() + " keeps running: it serves models by name");
        } else if (old != null) {
            op.step(
                    State.DRAINING,
                    "draining engine " + old.id() + " (up to "
                            + config.drainGrace().toSeconds() + " s)");
            retire(old, SETTLE_BLUE_GREEN);
        }
        op.complete("switched to " + target.displayName() + " on engine " + fresh.id());
    }

    private void recreate(Attempt a) {
        Operation op = a.op;
        ServableModel target = a.plan.target();
        Backend old = a.plan.current();
        try {
            op.step(State.ROUTING, "gateways answer 503 with Retry-After while the engine is replaced");
            a.routeTouched = true;
            a.down = routes.switching(op.id());
        } catch (RoutingFailure e) {
            rollBackRoute(a, e.getMessage());
            return;
        }
        if (old != null) {
            op.step(State.DRAINING, "draining and stopping engine " + old.id());
            retire(old, SETTLE_RECREATE);
        }
        Backend fresh = null;
        try {
            fresh = start(a, a.plan.spec(), target, target.servedName());
            steps.awaitReady(op, fresh, target.servedName());
            op.step(State.ROUTING, "routing chat to engine " + fresh.id());
            PublishedRoute route = routeTo(fresh, target, target.servedName());
            Instant at = routes.active(route, op.id());
            a.routed = route;
            op.routed(at, target.servedName(), target);
            op.downtime(Duration.between(a.down, at));
            fresh = fresh.withState(Backend.State.READY);
            state.put(fresh);
        } catch (SwitchFailure e) {
            if (fresh != null) {
                discard(fresh);
            }
            restore(a, e.getMessage());
            return;
        } catch (RoutingFailure e) {
            // The new engine is ready and the old one is gone: chat belongs to the new one, once Kafka takes the route.
            PublishedRoute route = routeTo(fresh, target, target.servedName());
            fresh = fresh.withState(Backend.State.READY);
            state.put(fresh);
            if (!settle(a, RouteState.ACTIVE, route)) {
                op.fail(
                        e.getMessage() + "; engine " + fresh.id() + " serves " + target.displayName()
                                + " and chat is routed to it as soon as Kafka acknowledges the route",
                        false);
                return;
            }
            a.routed = route;
            op.routed(Instant.now(), target.servedName(), target);
            op.downtime(Duration.between(a.down, Instant.now()));
        }
        op.complete("switched to " + target.displayName() + " on engine " + fresh.id() + " after "
                + op.view().timings().downtimeMs() + " ms without a backend");
    }

    /** Recreate failed: start the previous model again and route back to it; if even that fails, route to nothing. */
    private void restore(Attempt a, String reason) {
        Operation op = a.op;
        Backend old = a.restorable();
        PublishedRoute previous = a.previous;
        if (old == null || previous == null) {
            settleNone(a, reason);
            return;
        }
        op.note("rolling back: starting " + previous.model().displayName() + " again");
        BackendSpec spec = old.restartSpec(planner.spec(previous.model()).id(), previous.model());
        Backend again = null;
        try {
            again = start(a, spec, previous.model(), previous.servedModelName());
            steps.awaitReady(op, again, previous.servedModelName());
            again = again.withState(Backend.State.READY);
            state.put(again);
        } catch (SwitchFailure e) {
            if (again != null) {
                discard(again);
            }
            settleNone(a, reason + "; restoring the previous model failed too: " + e.getMessage());
            return;
        }
        PublishedRoute route = routeTo(again, previous.model(), previous.servedModelName());
        if (!settle(a, RouteState.ACTIVE, route)) {
            op.fail(
                    reason + "; the previous model " + previous.model().displayName() + " runs again on engine "
                            + again.id() + " and chat is routed back to it as soon as Kafka acknowledges the route",
                    true);
            return;
        }
        if (a.down != null) {
            op.downtime(Duration.between(a.down, Instant.now()));
        }
        op.fail(reason + "; the previous model " + previous.model().displayName() + " serves again", true);
    }

    /** Nothing can serve: route to nothing (gateways answer 503), and stop whatever still runs once that is published. */
    private void settleNone(Attempt a, String reason) {
        boolean published = settle(a, RouteState.NONE, null);
        if (published) {
            stopAllBut(a, null);
        }
        a.op.fail(
                reason
                        + (published
                                ? ""
                                : "; no backend serves and the monitor publishes that as soon as Kafka accepts it"),
                false);
    }

    /**
     * The broker did not acknowledge a route of this switch, which may or may not have reached the topic: publish
     * the route from before the switch again. Acknowledged, that settles it and what the switch started is undone;
     * not acknowledged, every engine stays up (a gateway may follow either route) until the monitor publishes it.
     */
    private void rollBackRoute(Attempt a, String message) {
        boolean changed = !a.started.isEmpty() || a.loadedAdapter != null;
        if (a.unservedByName != null) {
            state.serve(a.unservedByName);
            a.unservedByName = null;
        }
        if (!settle(a, a.previousState, a.previous)) {
            a.op.fail(
                    message
                            + "; neither route is confirmed yet: every engine keeps running until the monitor has published "
                            + describe(a.previousState, a.previous) + " again",
                    false);
            return;
        }
        undoStarted(a, null);
        unloadAdapter(a);
        a.op.fail(message + "; " + describe(a.previousState, a.previous) + " holds", changed);
    }

    /** After an unexpected error: keep or restore a route to an engine that serves, then stop every other engine. */
    private void recover(Attempt a, String reason) {
        Operation op = a.op;
        op.note("recovering from " + reason);
        Optional<PublishedRoute> choice = choose(a);
        if (choice.isEmpty()
                && a.plan.strategy() == SwitchStrategy.RECREATE
                && a.restorable() != null
                && a.previous != null
                && !alive(a.restorable())) {
            restore(a, reason);
            return;
        }
        RouteState kind = choice.isPresent() ? RouteState.ACTIVE : RouteState.NONE;
        PublishedRoute route = choice.orElse(null);
        if (a.unservedByName != null
                && (route == null || !route.servedModelName().equals(a.unservedByName.servedModelName()))) {
            state.serve(a.unservedByName);
        }
        if (route != null) {
            state.backend(route.backendId()).ifPresent(b -> state.put(b.withState(Backend.State.READY)));
        }
        boolean unchanged = !a.routeTouched
                && kind == state.routeState()
                && sameBackend(route, state.route().orElse(null))
                && !state.routePending();
        boolean published = unchanged || settle(a, kind, route);
        if (published) {
            stopAllBut(a, route == null ? null : route.backendId());
            if (a.loadedAdapter != null && (route == null || !a.loadedAdapter.equals(route.servedModelName()))) {
                unloadAdapter(a);
            }
        }
        String pending = published ? "" : "; the monitor publishes it as soon as Kafka accepts it";
        if (route != null
                && a.routed != null
                && sameBackend(route, a.routed)
                && route.servedModelName().equals(a.routed.servedModelName())) {
            op.complete("switched to " + a.plan.target().displayName() + " (then recovered from " + reason + ")");
        } else if (route != null && route.model().id().equals(a.plan.target().id())) {
            op.routed(Instant.now(), route.servedModelName(), route.model());
            if (a.down != null) {
                op.downtime(Duration.between(a.down, Instant.now()));
            }
            op.complete("switched to " + a.plan.target().displayName() + " on engine " + route.backendId()
                    + " after recovering from " + reason + pending);
        } else {
            boolean rolledBack = route != null && (a.routeTouched || !a.started.isEmpty() || a.loadedAdapter != null);
            op.fail(
                    reason + "; " + describe(kind, route) + (published ? " holds" : " is the route") + pending,
                    rolledBack);
        }
    }

    /** The route to keep after an unexpected error, or empty for none. */
    private Optional<PublishedRoute> choose(Attempt a) {
        if (a.routed != null && (CloudApi.BACKEND_ID.equals(a.routed.backendId()) || engineServes(a.routed))) {
            return Optional.of(a.routed);
        }
        if (a.previousState == RouteState.ACTIVE
                && a.previous != null
                && (CloudApi.BACKEND_ID.equals(a.previous.backendId()) || engineServes(a.previous))) {
            return Optional.of(a.previous);
        }
        for (int i = a.started.size() - 1; i >= 0; i--) {
            Started s = a.started.get(i);
            Backend engine = state.backend(s.backendId()).orElse(s.backend());
            if (check.serves(engine, s.served())) {
                return Optional.of(routeTo(engine, s.model(), s.served()));
            }
        }
        return Optional.empty();
    }

    private boolean engineServes(PublishedRoute route) {
        return state.backend(route.backendId())
                .map(b -> check.serves(b, route.servedModelName()))
                .orElse(false);
    }

    /**
     * Makes {@code route} the one to follow: recorded as pending first (so the monitor finishes the job if this fails),
     * then published. True once the broker acknowledged it.
     */
    private boolean settle(Attempt a, RouteState kind, PublishedRoute route) {
        try {
            state.routePending(kind, route);
        } catch (UncheckedIOException e) {
            LOG.errorf("switch %s: cannot write the state file: %s", a.op.id(), e.getMessage());
        }
        try {
            a.routeTouched = true;
            routes.republish(kind, route, a.op.id());
            return true;
        } catch (RoutingFailure e) {
            a.op.note("the route " + describe(kind, route) + " is not acknowledged yet: " + e.getMessage());
            return false;
        }
    }

    /**
     * Stops every engine but {@code keepId} (none for {@code null}) and those serving models by name, those this switch
     * started included.
     */
    private void stopAllBut(Attempt a, String keepId) {
        Set<String> serving = state.servingBackendIds();
        for (Backend b : state.backends()) {
            if (!b.id().equals(keepId) && !serving.contains(b.id())) {
                discard(b);
            }
        }
        undoStarted(a, keepId);
    }

    private void undoStarted(Attempt a, String keepId) {
        for (Started s : a.started) {
            if (!s.backendId().equals(keepId)) {
                discard(state.backend(s.backendId()).orElse(s.backend()));
            }
        }
    }

    private void unloadAdapter(Attempt a) {
        if (a.loadedAdapter == null) {
            return;
        }
        Backend engine = state.backend(a.plan.current().id()).orElse(a.plan.current());
        steps.unloadAdapter(engine, a.loadedAdapter);
        if (state.backend(engine.id()).isPresent()) {
            state.put(engine.withoutAdapter(a.loadedAdapter));
        }
        a.loadedAdapter = null;
    }

    private Backend start(Attempt a, BackendSpec spec, ServableModel model, String served) throws SwitchFailure {
        Operation op = a.op;
        op.step(
                State.STARTING,
                "starting engine " + spec.id() + " for " + model.displayName() + " (" + spec.modelPath()
                        + (spec.adapters().isEmpty()
                                ? ""
                                : " with adapter "
                                        + String.join(", ", spec.adapters().keySet()))
                        + ")");
        try {
            Backend backend = runtime.start(spec);
            a.started.add(new Started(backend, model, served));
            state.put(backend);
            op.restarted();
            op.note("engine " + backend.id() + " started at " + backend.baseUrl());
            return backend;
        } catch (ServingRuntime.RuntimeFailure e) {
            throw new SwitchFailure(e.getMessage());
        }
    }

    private PublishedRoute routeTo(Backend backend, ServableModel target, String served) {
        return new PublishedRoute(backend.id(), backend.baseUrl(), served, target, runtime.name(), Instant.now());
    }

    /** Lets in-flight requests finish (the engine's request gauges reach zero, or the drain grace ends), then stops it. */
    private void retire(Backend old, Duration settle) {
        state.put(old.withState(Backend.State.DRAINING));
        steps.drain(old, settle);
        runtime.stop(old);
        state.remove(old.id());
    }

    private void discard(Backend backend) {
        runtime.stop(backend);
        state.remove(backend.id());
    }

    private boolean alive(Backend backend) {
        return runtime.liveness(backend).alive();
    }

    private static boolean sameBackend(PublishedRoute a, PublishedRoute b) {
        return a == null ? b == null : b != null && a.backendId().equals(b.backendId());
    }

    private static String describe(RouteState kind, PublishedRoute route) {
        return switch (kind) {
            case ACTIVE -> route == null ? "the route" : route.model().displayName() + " on " + route.backendId();
            case SWITCHING -> "the route SWITCHING";
            case NONE -> "no backend";
        };
    }

    private static String describe(Throwable e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
