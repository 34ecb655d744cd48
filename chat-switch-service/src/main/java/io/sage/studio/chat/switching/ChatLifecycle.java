package io.sage.studio.chat.switching;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.messaging.BackendTopic;
import io.sage.studio.chat.messaging.RoutePublisher;
import io.sage.studio.chat.messaging.RoutePublisher.RoutingFailure;
import io.sage.studio.chat.registry.ServableModel;
import io.sage.studio.chat.registry.ServableModelResolver;
import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.chat.runtime.OpenAiProbe;
import io.sage.studio.chat.runtime.ServingRuntime;
import io.sage.studio.chat.runtime.cloud.CloudApi;
import io.sage.studio.chat.state.ChatState;
import io.sage.studio.chat.state.PublishedRoute;
import io.sage.studio.chat.state.RouteState;
import io.sage.studio.chat.state.StateSnapshot;
import io.sage.studio.common.error.ErrorKind;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.events.ChatBackendEvent;

/**
 * Start-up and supervision. At start: read the state file and the route topic (revisions continue), adopt the
 * recorded engines that still run, and converge — even after a {@code kill -9} in the middle of a switch — on a route
 * to an engine that serves: the one the route named, else another adopted engine that serves its model (the route
 * said SWITCHING, or its engine is gone), with every other engine stopped; else {@code initial-model}, else the model
 * that served before (gateways answer 503 meanwhile instead of reaching a stopped engine); in cloud mode the cloud
 * API; else NONE. Afterwards a monitor publishes a route Kafka did not acknowledge, replaces a left-over SWITCHING
 * route, stops engines no route names, restarts the active engine when it dies and expires switch commands Kafka never
 * delivered.
 */
@ApplicationScoped
public class ChatLifecycle {

    private static final Logger LOG = Logger.getLogger(ChatLifecycle.class);
    private static final Duration RETRY = Duration.ofSeconds(5);
    private static final int INITIAL_MODEL_ATTEMPTS = 24;

    private final ChatConfig config;
    private final ChatState state;
    private final OperationStore operations;
    private final BackendTopic topic;
    private final ServingRuntime runtime;
    private final RoutePublisher routes;
    private final SwitchService switches;
    private final ServableModelResolver resolver;
    private final CloudApi cloud;
    private final OpenAiProbe probe;
    private final EngineCheck check;
    private final Instance<ServingService> serving;
    private final ReplicaAdapters replicaAdapters;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "chat-lifecycle");
        thread.setDaemon(true);
        return thread;
    });

    public ChatLifecycle(
            ChatConfig config,
            ChatState state,
            OperationStore operations,
            BackendTopic topic,
            ServingRuntime runtime,
            RoutePublisher routes,
            SwitchService switches,
            ServableModelResolver resolver,
            CloudApi cloud,
            OpenAiProbe probe,
            EngineCheck check,
            Instance<ServingService> serving,
            ReplicaAdapters replicaAdapters) {
        this.config = config;
        this.state = state;
        this.operations = operations;
        this.topic = topic;
        this.runtime = runtime;
        this.routes = routes;
        this.switches = switches;
        this.resolver = resolver;
        this.cloud = cloud;
        this.probe = probe;
        this.check = check;
        this.serving = serving;
        this.replicaAdapters = replicaAdapters;
    }

    void onStart(@Observes StartupEvent event) {
        scheduler.execute(this::initialize);
    }

    void onStop(@Observes ShutdownEvent event) {
        scheduler.shutdownNow();
        if (config.local().stopOnShutdown() && runtime.hasEngines()) {
            suspendEngines();
        }
    }

    private void initialize() {
        try {
            StateSnapshot saved = state.load();
            operations.load();
            while (!topic.awaitCaughtUp(Duration.ofSeconds(30))) {
                LOG.warn("waiting for Kafka: the route topic is not readable yet");
            }
            List<Backend> live = adopt(saved);
            boolean[] serving = new boolean[1];
            switches.tryExclusively("startup", () -> serving[0] = converge(saved, live));
            switches.accept();
            if (!serving[0]) {
                ensureServing(saved);
            }
            scheduler.scheduleWithFixedDelay(
                    this::monitor,
                    config.monitorInterval().toMillis(),
                    config.monitorInterval().toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.errorf(e, "start-up of the chat-switch-service failed; retrying in %d s", RETRY.toSeconds());
            scheduler.schedule(this::initialize, RETRY.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Finds every recorded engine that still runs and answers {@code /health} (a restart, or a crash in the middle of a
     * switch, may leave more than one); stops the rest, and for Kubernetes every labelled Deployment nobody recorded.
     */
    private List<Backend> adopt(StateSnapshot saved) {
        Set<String> recorded = saved.backends().stream().map(Backend::id).collect(Collectors.toSet());
        List<Backend> adopted = runtime.adopt(saved.backends(), recorded).stream()
                .filter(b -> {
                    if (probe.health(b.baseUrl()).ok()) {
                        return true;
                    }
                    LOG.warnf("engine %s is running but not healthy; stopping it", b.id());
                    runtime.stop(b);
                    return false;
                })
                .toList();
        state.replaceBackends(adopted);
        return adopted;
    }

    /**
     * Makes the route name an engine that serves, holding the switch slot: the engine the route named if it still
     * serves, else (a switch was interrupted: the route says SWITCHING, or its engine is gone) another adopted engine
     * that serves the model it was started for — the previous route's model first, then the newest. Every other
     * engine is stopped once the route is acknowledged. False when no engine serves.
     */
    private boolean converge(StateSnapshot saved, List<Backend> live) {
        PublishedRoute previous = saved.route();
        Optional<PublishedRoute> route = Optional.empty();
        if (saved.routeState() == RouteState.ACTIVE && previous != null) {
            // Running and healthy (adopt checked both): it kept serving while this service was down.
            route = live.stream()
                    .filter(b -> b.id().equals(previous.backendId()))
                    .findFirst()
                    .map(b -> previous);
        }
        if (route.isEmpty()) {
            route = live.stream()
                    .filter(b -> b.spec().model() != null)
                    .sorted(Comparator.comparing((Backend b) -> previous == null
                                    || !b.spec()
                                            .model()
                                            .id()
                                            .equals(previous.model().id()))
                            .thenComparing(Backend::startedAt, Comparator.nullsLast(Comparator.reverseOrder())))
                    .filter(b -> check.serves(b, b.spec().model().servedName()))
                    .findFirst()
                    .map(b -> new PublishedRoute(
                            b.id(),
                            b.baseUrl(),
                            b.spec().model().servedName(),
                            b.spec().model(),
                            runtime.name(),
                            Instant.now()));
            route.ifPresent(r -> LOG.infof(
                    "the route named no serving engine; engine %s serves %s and takes chat",
                    r.backendId(), r.model().displayName()));
        }
        if (route.isEmpty()) {
            // Engines that serve models by name keep serving them; the rest go.
            Set<String> serving = state.servingBackendIds();
            live.stream().filter(b -> !serving.contains(b.id())).forEach(runtime::stop);
            state.replaceBackends(
                    live.stream().filter(b -> serving.contains(b.id())).toList());
            return false;
        }
        PublishedRoute chosen = route.get();
        state.replaceBackends(live.stream()
                .map(b -> b.id().equals(chosen.backendId()) ? b.withState(Backend.State.READY) : b)
                .toList());
        try {
            routes.active(chosen, null);
            LOG.infof("engine %s serves %s", chosen.backendId(), chosen.servedModelName());
        } catch (RoutingFailure e) {
            LOG.errorf(
                    "cannot publish the route: %s; the monitor publishes it and stops the other engines",
                    e.getMessage());
            state.routePending(RouteState.ACTIVE, chosen);
            return true;
        }
        stopAllBut(chosen.backendId());
        return true;
    }

    /** Nothing serves after start-up: {@code initial-model}, else the model that served before, else the cloud, else NONE. */
    private void ensureServing(StateSnapshot saved) {
        Optional<String> initial = config.initialModel();
        if (initial.isPresent()) {
            leaveDeadRoute();
            resolveInitial(initial.get(), 1);
            return;
        }
        PublishedRoute previous = saved.route();
        if (previous != null
                && saved.routeState() != RouteState.NONE
                && config.runtime() != ChatConfig.RuntimeKind.NONE
                && !ServableModel.KIND_CLOUD.equals(previous.model().kind())) {
            LOG.infof(
                    "the engine of %s is gone; starting it again",
                    previous.model().displayName());
            leaveDeadRoute();
            startWith(previous.model(), "startup");
        } else if (cloud.configured()) {
            startWith(cloud.model(cloud.defaultModel().orElseThrow()), "startup");
        } else {
            announceNone();
        }
    }

    /**
     * The topic still routes to an engine that is gone: gateways answer 503 with Retry-After (SWITCHING) until the
     * model starting now is ready, instead of failing against a stopped engine.
     */
    private void leaveDeadRoute() {
        Optional<ChatBackendEvent> last = topic.latest();
        if (last.isPresent()
                && last.get().state() == ChatBackendEvent.State.ACTIVE
                && last.get().backend() != null
                && !CloudApi.BACKEND_ID.equals(last.get().backend().id())
                && state.backend(last.get().backend().id()).isEmpty()) {
            try {
                routes.switching(null);
            } catch (RoutingFailure e) {
                LOG.errorf("cannot publish that the backend is being replaced: %s", e.getMessage());
            }
        }
    }

    /** Resolves {@code initial-model}, retrying while the finetune-service is not up yet. */
    private void resolveInitial(String model, int attempt) {
        try {
            ServableModel target =
                    model.startsWith("task:") ? resolver.byTask(model.substring(5)) : resolver.byModel(model);
            startWith(target, "startup");
        } catch (StudioException e) {
            if (e.kind() == ErrorKind.UNAVAILABLE && attempt < INITIAL_MODEL_ATTEMPTS) {
                scheduler.schedule(() -> resolveInitial(model, attempt + 1), RETRY.toMillis(), TimeUnit.MILLISECONDS);
                return;
            }
            LOG.errorf("studio.chat.initial-model '%s' cannot serve: %s", model, e.getMessage());
            announceNone();
        }
    }

    private void startWith(ServableModel target, String requestedBy) {
        Optional<SwitchOperation> op = switches.submit(target, requestedBy, false);
        op.ifPresent(o -> LOG.infof("switch %s to %s started (%s)", o.id(), target.displayName(), requestedBy));
    }

    /** Publishes NONE when the topic still names a backend nobody serves. */
    private void announceNone() {
        Optional<ChatBackendEvent> last = topic.latest();
        if (last.isPresent() && last.get().state() != ChatBackendEvent.State.NONE) {
            noneOrPending("no model serves after start-up");
        }
    }

    private void monitor() {
        try {
            switches.expireUndelivered();
            if (switches.running().isPresent()) {
                return;
            }
            if (unsettled()) {
                switches.tryExclusively("monitor", this::reconcile);
            }
            if (!runtime.hasEngines()) {
                return;
            }
            superviseActive();
            superviseServed();
            replicaAdapters.retain(state.backends().stream().map(Backend::id).toList());
        } catch (RuntimeException e) {
            LOG.errorf("the engine monitor failed: %s", e.getMessage());
        }
    }

    /** Restarts the active engine when it died; loads again adapters it lost. */
    private void superviseActive() {
        Optional<Backend> active = state.activeBackend();
        if (active.isEmpty() || active.get().state() == Backend.State.FAILED || state.routePending()) {
            return;
        }
        var liveness = runtime.liveness(active.get());
        if (liveness.alive()) {
            reloadLostAdapters(active.get());
            return;
        }
        LOG.warnf("the active engine %s died: %s", active.get().id(), liveness.reason());
        state.put(active.get().withState(Backend.State.FAILED));
        PublishedRoute route = state.route().orElseThrow();
        if (config.restartCrashed()) {
            switches.submit(route.model(), "monitor", true);
        } else {
            noneOrPending("the active engine died");
        }
    }

    /**
     * The models served by name outlive their engines: an engine that lost adapters gets them loaded again; a model
     * whose engine is gone (it died, or a recreate of the default replaced it) is served again — onto an engine of its
     * base, else an engine of its own where it fits, else it leaves the serving set (logged). One per round, while no
     * switch runs.
     */
    private void superviseServed() {
        if (switches.running().isPresent() || state.routePending()) {
            return;
        }
        String activeId = state.activeBackend().map(Backend::id).orElse(null);
        for (String id : state.servingBackendIds()) {
            Optional<Backend> engine = state.backend(id);
            if (engine.isPresent() && engine.get().state() == Backend.State.STARTING) {
                continue;
            }
            if (engine.isPresent()
                    && engine.get().state() != Backend.State.FAILED
                    && runtime.liveness(engine.get()).alive()) {
                if (!id.equals(activeId)) {
                    reloadLostAdapters(engine.get());
                }
                continue;
            }
            if (id.equals(activeId) && config.restartCrashed()) {
                // The default's engine: superviseActive restarts it; its served models follow once it is back.
                continue;
            }
            Optional<PublishedRoute> orphan = state.served().stream()
                    .filter(r -> r.backendId().equals(id))
                    .findFirst();
            if (orphan.isPresent()) {
                serving.get().serveAgain(orphan.get(), "engine " + id + " is gone");
                return;
            }
        }
    }

    /**
     * Adapters loaded at runtime live in the engine's memory only (vLLM): an engine that restarted in place (a
     * container restart keeps the pod, its address and this record; a local engine is restarted by this monitor from
     * its spec, which preloads the routed adapter) has lost them, and so has a pod that replaced another or was added
     * to a Deployment of several. Each replica that lacks an adapter this service loaded gets it again, under the
     * switch slot ({@link ReplicaAdapters}); those given at start ({@code --lora-modules}) come back by themselves.
     */
    private void reloadLostAdapters(Backend engine) {
        if (replicaAdapters.lost(engine, runtimeLoaded(engine)).isEmpty()) {
            return;
        }
        switches.tryExclusively("monitor", () -> {
            Optional<Backend> now = state.backend(engine.id());
            if (now.isEmpty()) {
                return;
            }
            replicaAdapters.restore(now.get(), replicaAdapters.lost(now.get(), runtimeLoaded(now.get())));
        });
    }

    /** The adapters this service loaded into {@code engine} at runtime (not given at its start). */
    private static Map<String, String> runtimeLoaded(Backend engine) {
        Map<String, String> loaded = new LinkedHashMap<>(engine.adapters());
        loaded.keySet().removeAll(engine.spec().adapters().keySet());
        return loaded;
    }

    /**
     * What every switch leaves behind, restored when something (Kafka, a crash, an unexpected error) left it otherwise;
     * runs while no switch does. A route the broker has not acknowledged is published; a SWITCHING route outside a
     * switch is replaced (an engine that serves, else NONE); then every engine the route does not name is stopped.
     */
    private void reconcile() {
        if (state.routePending()) {
            try {
                routes.republish(state.routeState(), state.route().orElse(null), null);
                LOG.infof("published the pending route (%s)", state.routeState().wire());
            } catch (RoutingFailure e) {
                LOG.warnf("the route is still not acknowledged: %s", e.getMessage());
                return;
            }
        }
        if (!runtime.hasEngines()) {
            return;
        }
        if (state.routeState() == RouteState.SWITCHING) {
            Optional<PublishedRoute> serving = state.backends().stream()
                    .filter(b -> b.spec().model() != null
                            && check.serves(b, b.spec().model().servedName()))
                    .findFirst()
                    .map(b -> new PublishedRoute(
                            b.id(),
                            b.baseUrl(),
                            b.spec().model().servedName(),
                            b.spec().model(),
                            runtime.name(),
                            Instant.now()));
            try {
                if (serving.isPresent()) {
                    routes.active(serving.get(), null);
                } else {
                    routes.none(null);
                }
            } catch (RoutingFailure e) {
                LOG.warnf("cannot replace the left-over SWITCHING route: %s", e.getMessage());
                return;
            }
        }
        String keep = state.routeState() == RouteState.ACTIVE
                ? state.route().map(PublishedRoute::backendId).orElse(null)
                : null;
        stopAllBut(keep);
    }

    /** Whether {@link #reconcile()} has something to do (checked without the slot, so requests rarely meet it). */
    private boolean unsettled() {
        if (state.routePending() || (runtime.hasEngines() && state.routeState() == RouteState.SWITCHING)) {
            return true;
        }
        String keep = state.routeState() == RouteState.ACTIVE
                ? state.route().map(PublishedRoute::backendId).orElse(null)
                : null;
        Set<String> serving = state.servingBackendIds();
        return state.backends().stream().anyMatch(b -> !b.id().equals(keep) && !serving.contains(b.id()));
    }

    /** Routes to nothing; when Kafka does not acknowledge it, the monitor publishes it as soon as it can. */
    private void noneOrPending(String why) {
        try {
            routes.none(null);
        } catch (RoutingFailure e) {
            LOG.errorf(
                    "cannot publish that no backend serves (%s): %s; publishing it again later", why, e.getMessage());
            state.routePending(RouteState.NONE, null);
        }
    }

    /** Stops every engine the route does not name and that serves no model by name. */
    private void stopAllBut(String keep) {
        Set<String> serving = state.servingBackendIds();
        for (Backend backend : state.backends()) {
            if (!backend.id().equals(keep) && !serving.contains(backend.id())) {
                LOG.infof("stopping engine %s: no route names it", backend.id());
                runtime.stop(backend);
                state.remove(backend.id());
            }
        }
    }

    /**
     * Shutdown with {@code stop-on-shutdown}: stops every engine but keeps the route, published as SWITCHING (gateways
     * answer 503 with Retry-After), so the next start serves the same model again.
     */
    private void suspendEngines() {
        try {
            routes.switching(null);
        } catch (RoutingFailure e) {
            LOG.errorf("cannot publish that the backend is suspended: %s", e.getMessage());
        }
        for (Backend backend : state.backends()) {
            runtime.stop(backend);
            state.remove(backend.id());
        }
    }

    /**
     * Stops every engine and routes to nothing ({@code POST /api/chat/stop}); the models served by name go with them
     * (else the monitor would serve them again).
     */
    public List<String> stopEngines(String reason) {
        List<Backend> all = state.backends();
        state.served().forEach(r -> state.unserve(r.servedModelName()));
        if (!all.isEmpty() || state.routeState() != RouteState.NONE) {
            noneOrPending(reason == null ? "every engine is stopped" : reason);
        }
        for (Backend backend : all) {
            runtime.stop(backend);
            state.remove(backend.id());
        }
        return all.stream().map(Backend::id).toList();
    }
}
