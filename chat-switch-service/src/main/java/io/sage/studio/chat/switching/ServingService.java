package io.sage.studio.chat.switching;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.jboss.logging.Logger;

import io.sage.studio.chat.ChatSwitchError;
import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.messaging.RoutePublisher;
import io.sage.studio.chat.messaging.RoutePublisher.RoutingFailure;
import io.sage.studio.chat.messaging.TrafficView;
import io.sage.studio.chat.registry.ServableModel;
import io.sage.studio.chat.rollout.Rollout;
import io.sage.studio.chat.rollout.RolloutService;
import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.chat.runtime.BackendSpec;
import io.sage.studio.chat.runtime.EngineArgs;
import io.sage.studio.chat.runtime.ServingRuntime;
import io.sage.studio.chat.state.ChatState;
import io.sage.studio.chat.state.PublishedRoute;
import io.sage.studio.chat.state.RolloutSplit;
import io.sage.studio.chat.state.RouteState;
import io.sage.studio.chat.switching.SwitchExecutor.SwitchFailure;
import io.sage.studio.chat.switching.SwitchOperation.State;
import io.sage.studio.common.error.StudioException;

/**
 * The serving set: models addressable by name beside the default ({@code POST/GET/DELETE /api/chat/serving}).
 *
 * <p>A LoRA adapter goes onto a running engine of its base (rank within the engine's {@code --max-lora-rank}, LoRA
 * enabled), a base model that an engine runs is only named, anything else (a merged or full model, an adapter with no
 * engine of its base) gets an engine of its own when {@link GpuCapacity} says one more fits. An engine holds at most
 * {@code engine.max-cpu-loras} adapters (vLLM's adapter cache): when it is full, the least recently used adapter that
 * is neither the default nor a rollout arm is unloaded first. Every change is published with the route
 * ({@link RoutePublisher#refresh}) so gateways route by the new name.
 *
 * <p>Serving work holds the switch slot (one switch or serving change at a time: the engines and the route are shared)
 * and runs on the switch thread, recorded as an operation with strategy {@code serve}; placement is decided before
 * the request returns, so what cannot be placed is a 409 at once.
 */
@ApplicationScoped
public class ServingService {

    private static final Logger LOG = Logger.getLogger(ServingService.class);

    private final ChatConfig config;
    private final ChatState state;
    private final ServingRuntime runtime;
    private final SwitchService switches;
    private final SwitchPlanner planner;
    private final EngineSteps steps;
    private final RoutePublisher routes;
    private final GpuCapacity capacity;
    private final TrafficView traffic;
    private final RolloutService rollouts;
    private final ReplicaAdapters replicaAdapters;
    /** The model a serving operation is loading now (shown as {@code loading}), or {@code null}. */
    private volatile Loading loading;

    ServingService(
            ChatConfig config,
            ChatState state,
            ServingRuntime runtime,
            SwitchService switches,
            SwitchPlanner planner,
            EngineSteps steps,
            RoutePublisher routes,
            GpuCapacity capacity,
            TrafficView traffic,
            RolloutService rollouts,
            ReplicaAdapters replicaAdapters) {
        this.config = config;
        this.state = state;
        this.runtime = runtime;
        this.switches = switches;
        this.planner = planner;
        this.steps = steps;
        this.routes = routes;
        this.capacity = capacity;
        this.traffic = traffic;
        this.rollouts = rollouts;
        this.replicaAdapters = replicaAdapters;
    }

    /** What {@code DELETE /api/chat/serving/{model}} answers. */
    public record Unserved(
            @Schema(required = true) String model,

            @Schema(required = true, enumeration = "unloaded")
            String state,

            @Schema(required = true) boolean engineStopped) {}

    /** A serve request's answer and whether it started an operation (202) or found the model served (200). */
    public record Outcome(ServeResult result, boolean started) {}

    private record Loading(String served, ServableModel model, String engineId, Instant since, String operationId) {}

    private enum Kind {
        /** The engine serves the model under its own name already: only the route changes. */
        NAME_ONLY,
        /** Load the adapter into the engine (after unloading {@code evict} when it is full). */
        HOT_LOAD,
        /** Start an engine of its own. */
        NEW_ENGINE
    }

    private record Placement(Kind kind, String served, Backend engine, String evict, BackendSpec spec, String reason) {}

    /** {@code GET /api/chat/serving}. */
    public ServingView view() {
        PublishedRoute defaultRoute = defaultRoute().orElse(null);
        Optional<RolloutSplit> split = state.split();
        List<ServingView.ServedModel> models = new ArrayList<>();
        if (defaultRoute != null) {
            models.add(model(defaultRoute, true, split));
        }
        for (PublishedRoute r : state.served()) {
            if (defaultRoute == null || !r.servedModelName().equals(defaultRoute.servedModelName())) {
                models.add(model(r, false, split));
            }
        }
        Loading now = loading;
        if (now != null && models.stream().noneMatch(m -> m.model().equals(now.served()))) {
            models.add(new ServingView.ServedModel(
                    now.served(),
                    now.model().displayName(),
                    now.engineId(),
                    kind(now.model()),
                    "loading",
                    false,
                    null,
                    null,
                    traffic.lastUsed(now.served()).orElse(null),
                    trafficOf(now.served())));
        }
        List<ServingView.Engine> engines =
                state.backends().stream().map(this::engine).toList();
        return new ServingView(engines, models, defaultRoute == null ? null : defaultRoute.servedModelName());
    }

    /**
     * {@code POST /api/chat/serving}: makes {@code model} addressable by name. Served already → a {@code ready} result;
     * else the placement is decided now (409 {@code no_capacity}, {@code not_loadable_on_demand},
     * {@code switch_in_progress}) and the loading runs on the switch thread.
     */
    public Outcome serve(String model, boolean onDemand, String requestedBy) {
        return serve(model, onDemand, requestedBy, null);
    }

    /**
     * As above; a new engine is sharded over {@code tensorParallelSize} GPUs ({@code null}: sized from the model and
     * the GPUs; a bad size is a 400 naming {@code tensor_parallel_size}).
     */
    public Outcome serve(String model, boolean onDemand, String requestedBy, Integer tensorParallelSize) {
        if (!switches.accepting()) {
            throw new StudioException(
                    ChatSwitchError.NOT_READY, "the chat-switch-service is still starting; try again shortly");
        }
        if (model == null || model.isBlank()) {
            throw StudioException.invalidField("model", "model is required");
        }
        if (!runtime.hasEngines()) {
            throw new StudioException(
                    ChatSwitchError.NO_LOCAL_ENGINE,
                    "the chat backend runs in cloud mode (runtime none): no engine serves models by name");
        }
        Optional<PublishedRoute> named = findByName(model.strip());
        if (named.isPresent()) {
            return new Outcome(ready(named.get()), false);
        }
        ServableModel target = resolve(model.strip());
        Optional<PublishedRoute> already = find(target);
        if (already.isPresent()) {
            return new Outcome(ready(already.get()), false);
        }
        planner.servable(target);
        String id = UUID.randomUUID().toString();
        switches.reserve(id);
        try {
            Placement placement = place(target, onDemand, tensorParallelSize);
            return new Outcome(start(id, model, target, placement, requestedBy, null), true);
        } catch (RuntimeException e) {
            switches.release(id);
            throw e;
        }
    }

    /**
     * The monitor's way back for a model served by name whose engine is gone: it leaves the serving set and is served
     * again where it fits now (an engine of its base, else an engine of its own), or stays out of it when nothing has
     * room (logged, the route published without it). False, doing nothing, while a switch holds the slot.
     */
    public boolean serveAgain(PublishedRoute entry, String why) {
        String id = UUID.randomUUID().toString();
        if (!switches.tryReserve(id)) {
            return false;
        }
        try {
            state.unserve(entry.servedModelName());
            Placement placement;
            try {
                placement = place(entry.model(), false, null);
            } catch (StudioException e) {
                LOG.warnf("%s: %s is no longer served by name: %s", why, entry.servedModelName(), e.getMessage());
                publishOrLeavePending(null);
                switches.release(id);
                return true;
            }
            LOG.infof("%s: serving %s again", why, entry.servedModelName());
            start(id, entry.model().modelPath(), entry.model(), placement, "monitor", why);
            return true;
        } catch (RuntimeException e) {
            switches.release(id);
            throw e;
        }
    }

    /** Records the operation (its id holds the slot) and runs the placement on the switch thread. */
    private ServeResult start(
            String id, String asked, ServableModel target, Placement placement, String requestedBy, String why) {
        Operation op = switches.newOperation(id, asked, target.taskId(), SwitchStrategy.SERVE, requestedBy);
        op.strategy(SwitchStrategy.SERVE, (why == null ? "" : why + "; ") + placement.reason());
        String engineId = placement.engine() != null
                ? placement.engine().id()
                : placement.spec().id();
        Loading now = new Loading(placement.served(), target, engineId, Instant.now(), id);
        loading = now;
        switches.runServing(op, () -> execute(op, target, placement));
        if (op.state().terminal() && loading == now) {
            loading = null;
        }
        return new ServeResult(placement.served(), target.displayName(), engineId, "loading", id);
    }

    /** What {@code POST /api/chat/switch} takes as {@code model}, or else a task id (its preferred artifact). */
    private ServableModel resolve(String model) {
        try {
            return switches.resolve(model, null);
        } catch (StudioException unknown) {
            if (unknown.error() != ChatSwitchError.UNKNOWN_MODEL || model.contains("/")) {
                throw unknown;
            }
            try {
                return switches.resolve(null, model);
            } catch (StudioException notATask) {
                if (notATask.error() == ChatSwitchError.TASK_NOT_FOUND || "invalid_field".equals(notATask.code())) {
                    throw unknown;
                }
                throw notATask;
            }
        }
    }

    /** Completes when the serving operation ends. */
    public Optional<CompletableFuture<SwitchOperation>> completion(String operationId) {
        return switches.completion(operationId);
    }

    /**
     * {@code DELETE /api/chat/serving/{model}}: takes the model out of the serving set and the route, then unloads its
     * adapter once in-flight requests finished, or stops its engine when nothing else on it is served.
     */
    public Unserved unserve(String model) {
        if (model == null || model.isBlank()) {
            throw StudioException.invalidField("model", "model is required");
        }
        return switches.exclusively("unserve", () -> unserveHoldingSlot(model.strip()));
    }

    private Unserved unserveHoldingSlot(String name) {
        Optional<PublishedRoute> def = defaultRoute();
        if (def.isPresent() && matches(def.get(), name)) {
            throw new StudioException(
                    ChatSwitchError.MODEL_IS_DEFAULT,
                    name + " is the default model (sage-chat); switch to another model first");
        }
        Optional<RolloutSplit> split = state.split();
        if (split.isPresent()
                && split.get().candidate() != null
                && matches(split.get().candidate(), name)) {
            throw inRollout(name, split.get().rolloutId());
        }
        PublishedRoute entry = state.served().stream()
                .filter(r -> matches(r, name))
                .findFirst()
                .orElseThrow(() -> new StudioException(
                        ChatSwitchError.MODEL_NOT_SERVED, "no model named " + name + " is served by name"));
        String served = entry.servedModelName();
        Optional<Rollout> rollout = rollouts.usingModel(served);
        if (rollout.isPresent()) {
            throw inRollout(name, rollout.get().rolloutId());
        }
        state.unserve(served);
        publishOrLeavePending(null);
        boolean stopped = release(entry);
        LOG.infof("unserved %s (engine %s%s)", served, entry.backendId(), stopped ? " stopped" : "");
        return new Unserved(served, "unloaded", stopped);
    }

    private static StudioException inRollout(String name, String rolloutId) {
        return new StudioException(
                ChatSwitchError.MODEL_IN_ROLLOUT,
                name + " is an arm of rollout " + rolloutId + "; promote or abort it first",
                List.of(Map.of("rollout_id", rolloutId)));
    }

    /**
     * After {@code entry} left the serving set (and the route): stops its engine when nothing else needs it, else
     * unloads its adapter once in-flight requests finished; whether the engine was stopped.
     */
    private boolean release(PublishedRoute entry) {
        Optional<Backend> engine = state.backend(entry.backendId());
        if (engine.isEmpty()) {
            return false;
        }
        Backend b = engine.get();
        boolean needed = state.servingBackendIds().contains(b.id())
                || defaultRoute().map(r -> r.backendId().equals(b.id())).orElse(false);
        if (!needed) {
            state.put(b.withState(Backend.State.DRAINING));
            steps.drain(b, SwitchExecutor.SETTLE_BLUE_GREEN);
            runtime.stop(b);
            state.remove(b.id());
            return true;
        }
        String served = entry.servedModelName();
        if (b.adapters().containsKey(served)) {
            steps.drainAndUnload(b, served, SwitchExecutor.SETTLE_BLUE_GREEN);
            state.backend(b.id()).ifPresent(now -> state.put(now.withoutAdapter(served)));
        }
        return false;
    }

    /** Decides where {@code target} goes, or throws the 409 that says why it cannot go anywhere. */
    private Placement place(ServableModel target, boolean onDemand, Integer tensorParallelSize) {
        int slots = Math.max(config.engine().maxCpuLoras(), config.engine().maxLoras());
        List<String> full = new ArrayList<>();
        for (Backend b : state.backends()) {
            if (planner.whyNotHotLoadable(b, target) != null
                    || !runtime.liveness(b).alive()) {
                continue;
            }
            if (!target.isLora()) {
                return new Placement(
                        Kind.NAME_ONLY,
                        b.spec().servedName(),
                        b,
                        null,
                        null,
                        "engine " + b.id() + " runs " + target.displayName() + " already; it becomes addressable"
                                + " by name");
            }
            if (b.adapters().size() < slots) {
                return new Placement(
                        Kind.HOT_LOAD,
                        target.servedName(),
                        b,
                        null,
                        null,
                        "adapter of rank " + target.loraRank() + " loads into engine " + b.id() + " of its base ("
                                + b.adapters().size() + " of " + slots + " adapter slots used)");
            }
            Optional<String> victim = leastRecentlyUsed(b);
            if (victim.isPresent()) {
                return new Placement(
                        Kind.HOT_LOAD,
                        target.servedName(),
                        b,
                        victim.get(),
                        null,
                        "engine " + b.id() + " holds " + slots + " adapters (studio.chat.engine.max-cpu-loras); the"
                                + " least recently used one, " + victim.get() + ", makes room");
            }
            full.add(b.id());
        }
        if (!full.isEmpty()) {
            throw new StudioException(
                    ChatSwitchError.NO_CAPACITY,
                    "every adapter slot of engine " + String.join(", ", full) + " holds the default or a rollout"
                            + " arm (studio.chat.engine.max-cpu-loras=" + slots + "); unserve a model first",
                    List.of(Map.of("engines", full, "max_cpu_loras", slots)));
        }
        if (onDemand) {
            throw new StudioException(
                    ChatSwitchError.NOT_LOADABLE_ON_DEMAND,
                    target.displayName() + " needs an engine of its own; serve it with POST /api/chat/serving first");
        }
        GpuCapacity.Room room = capacity.newEngineFits(target, state.backends().size());
        if (!room.fits()) {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("needed_bytes", room.neededBytes());
            details.put("gpus", room.gpus());
            throw new StudioException(
                    ChatSwitchError.NO_CAPACITY,
                    "no running engine can take " + target.displayName() + " and a new engine does not fit: "
                            + room.reason(),
                    List.of(details));
        }
        BackendSpec spec = planner.spec(target, tensorParallelSize);
        return new Placement(
                Kind.NEW_ENGINE,
                target.servedName(),
                null,
                null,
                spec,
                "no running engine can take it (" + whyNoEngine(target) + "); starting engine " + spec.id() + " ("
                        + room.reason() + ")");
    }

    private String whyNoEngine(ServableModel target) {
        List<Backend> engines = state.backends();
        if (engines.isEmpty()) {
            return "no engine runs";
        }
        return planner.whyNotHotLoadable(engines.get(0), target);
    }

    /**
     * The adapter of {@code engine} to unload for a new one: never the default or a rollout arm; the one whose last use
     * (a gateway's last request, or its loading when later or never used) is oldest. Adapters nobody serves by name go
     * first.
     */
    private Optional<String> leastRecentlyUsed(Backend engine) {
        Set<String> pinned = new HashSet<>();
        defaultRoute().ifPresent(r -> pinned.add(r.servedModelName()));
        state.split().ifPresent(s -> {
            if (s.candidate() != null) {
                pinned.add(s.candidate().servedModelName());
            }
        });
        Map<String, PublishedRoute> served = new LinkedHashMap<>();
        state.served().forEach(r -> served.put(r.servedModelName(), r));
        return engine.adapters().keySet().stream()
                .filter(name ->
                        !pinned.contains(name) && rollouts.usingModel(name).isEmpty())
                .min(Comparator.comparing((String name) -> served.containsKey(name))
                        .thenComparing(name -> lastTouched(name, served.get(name))));
    }

    private Instant lastTouched(String name, PublishedRoute entry) {
        Instant loaded = entry == null || entry.since() == null ? Instant.EPOCH : entry.since();
        Instant used = traffic.lastUsed(name).orElse(Instant.EPOCH);
        return used.isAfter(loaded) ? used : loaded;
    }

    private void execute(Operation op, ServableModel target, Placement placement) {
        Backend startedEngine = null;
        String loadedAdapter = null;
        Backend engine = placement.engine() == null
                ? null
                : state.backend(placement.engine().id()).orElse(placement.engine());
        String served = placement.served();
        try {
            switch (placement.kind()) {
                case NAME_ONLY -> steps.awaitListedAndSmoke(op, engine, served);
                case HOT_LOAD -> {
                    if (placement.evict() != null) {
                        engine = evict(op, engine, placement.evict());
                    }
                    op.step(
                            State.STARTING,
                            "loading adapter " + served + " (rank " + target.loraRank() + ") from "
                                    + target.adapterPath() + " into engine " + engine.id());
                    if (steps.loadAdapter(op, engine, served, target.adapterPath())) {
                        loadedAdapter = served;
                    }
                    engine = engine.withAdapter(served, target.adapterPath());
                    state.put(engine);
                    steps.awaitListedAndSmoke(op, engine, served);
                }
                case NEW_ENGINE -> {
                    BackendSpec spec = placement.spec();
                    op.step(
                            State.STARTING,
                            "starting engine " + spec.id() + " for " + target.displayName() + " (" + spec.modelPath()
                                    + ")");
                    try {
                        startedEngine = runtime.start(spec);
                    } catch (ServingRuntime.RuntimeFailure e) {
                        throw new SwitchFailure(e.getMessage());
                    }
                    state.put(startedEngine);
                    op.restarted();
                    op.note("engine " + startedEngine.id() + " started at " + startedEngine.baseUrl());
                    steps.awaitReady(op, startedEngine, served);
                    engine = startedEngine.withState(Backend.State.READY);
                    state.put(engine);
                }
            }
            publish(op, engine, target, served);
        } catch (SwitchFailure e) {
            undo(startedEngine, engine, loadedAdapter);
            op.fail(e.getMessage(), false);
        } catch (RuntimeException | Error e) {
            LOG.errorf(e, "serving %s failed unexpectedly", served);
            state.unserve(served);
            undo(startedEngine, engine, loadedAdapter);
            op.fail("unexpected error: " + e, false);
        } finally {
            loading = null;
        }
    }

    /** Unloads {@code name} from a full engine (out of the serving set and the route first); the engine after it. */
    private Backend evict(Operation op, Backend engine, String name) {
        op.step(
                State.DRAINING,
                "engine " + engine.id() + " is full: unloading " + name + " (last used "
                        + traffic.lastUsed(name)
                                .map(DateTimeFormatter.ISO_INSTANT::format)
                                .orElse("never") + ") once its requests finished");
        if (state.unserve(name)) {
            publishOrLeavePending(op);
        }
        steps.drainAndUnload(engine, name, SwitchExecutor.SETTLE_BLUE_GREEN);
        Backend after = state.backend(engine.id()).orElse(engine).withoutAdapter(name);
        state.put(after);
        return after;
    }

    private void undo(Backend startedEngine, Backend engine, String loadedAdapter) {
        if (startedEngine != null) {
            runtime.stop(startedEngine);
            state.remove(startedEngine.id());
        } else if (loadedAdapter != null && engine != null) {
            steps.unloadAdapter(engine, loadedAdapter);
            state.backend(engine.id()).ifPresent(b -> state.put(b.withoutAdapter(loadedAdapter)));
        }
    }

    /** Adds the model to the serving set and publishes the route with it. */
    private void publish(Operation op, Backend engine, ServableModel target, String served) {
        op.step(State.ROUTING, "publishing the route with " + served + " served by name on engine " + engine.id());
        PublishedRoute route =
                new PublishedRoute(engine.id(), engine.baseUrl(), served, target, runtime.name(), Instant.now());
        state.serve(route);
        Optional<Instant> at = publishOrLeavePending(op);
        op.routed(at.orElse(Instant.now()), served, target);
        op.complete(target.displayName() + " is served by name as " + served + " on engine " + engine.id()
                + (at.isPresent() ? "" : "; gateways learn it once Kafka acknowledges the route"));
    }

    /**
     * Publishes the route with the serving set as it is now; when Kafka does not acknowledge it, the route stays
     * pending and the monitor publishes it. The instant it was acknowledged, if it was.
     */
    private Optional<Instant> publishOrLeavePending(Operation op) {
        try {
            return Optional.of(routes.refresh(op == null ? null : op.id()));
        } catch (RoutingFailure e) {
            if (op != null) {
                op.note("the route is not acknowledged yet (" + e.getMessage() + "); the monitor publishes it");
            }
            state.routePending(state.routeState(), state.route().orElse(null));
            return Optional.empty();
        }
    }

    private Optional<PublishedRoute> defaultRoute() {
        return state.routeState() == RouteState.ACTIVE ? state.route() : Optional.empty();
    }

    /** The default or a served model whose served name, display name, task id or model id is {@code name}. */
    private Optional<PublishedRoute> findByName(String name) {
        Optional<PublishedRoute> def = defaultRoute().filter(r -> matches(r, name));
        return def.isPresent()
                ? def
                : state.served().stream().filter(r -> matches(r, name)).findFirst();
    }

    /** The default or a served model that is {@code target}. */
    private Optional<PublishedRoute> find(ServableModel target) {
        Optional<PublishedRoute> def = defaultRoute().filter(r -> same(r, target));
        return def.isPresent()
                ? def
                : state.served().stream().filter(r -> same(r, target)).findFirst();
    }

    private static boolean same(PublishedRoute r, ServableModel target) {
        return r.servedModelName().equals(target.servedName()) || r.model().id().equals(target.id());
    }

    private static boolean matches(PublishedRoute r, String name) {
        ServableModel m = r.model();
        return name.equals(r.servedModelName())
                || name.equals(m.displayName())
                || name.equals(m.taskId())
                || name.equals(m.id())
                || name.equals(m.modelPath());
    }

    private ServeResult ready(PublishedRoute r) {
        return new ServeResult(r.servedModelName(), r.model().displayName(), r.backendId(), "ready", null);
    }

    private ServingView.ServedModel model(PublishedRoute r, boolean isDefault, Optional<RolloutSplit> split) {
        ServingView.RolloutArm arm = null;
        if (split.isPresent()) {
            RolloutSplit s = split.get();
            if (isDefault && r.servedModelName().equals(s.baseline())) {
                arm = new ServingView.RolloutArm(s.rolloutId(), "baseline", s.weight());
            } else if (s.candidate() != null && s.candidate().servedModelName().equals(r.servedModelName())) {
                arm = new ServingView.RolloutArm(s.rolloutId(), "candidate", s.weight());
            }
        }
        return new ServingView.ServedModel(
                r.servedModelName(),
                r.model().displayName(),
                r.backendId(),
                kind(r.model()),
                stateOf(r),
                isDefault,
                arm,
                r.since(),
                traffic.lastUsed(r.servedModelName()).orElse(null),
                trafficOf(r.servedModelName()));
    }

    private String stateOf(PublishedRoute r) {
        if (ServableModel.KIND_CLOUD.equals(r.model().kind())) {
            return "ready";
        }
        Optional<Backend> engine = state.backend(r.backendId()).filter(b -> b.state() == Backend.State.READY);
        if (engine.isEmpty()) {
            return "failed";
        }
        // A pod that restarted or was added serves the adapter again once the monitor loaded it there.
        return replicaAdapters.complete(r.backendId(), r.servedModelName()) ? "ready" : "loading";
    }

    private ServingView.Traffic trafficOf(String served) {
        TrafficView.Totals t = traffic.totals(served);
        return new ServingView.Traffic(t.requests(), t.errors(), t.ttftMs(0.5), t.ttftMs(0.95));
    }

    private ServingView.Engine engine(Backend b) {
        BackendSpec spec = b.spec();
        boolean lora = spec.loraEnabled();
        return new ServingView.Engine(
                b.id(),
                spec.modelPath(),
                b.baseUrl(),
                b.state().wire(),
                lora ? config.engine().maxLoras() : 0,
                lora ? EngineArgs.maxLoraRankFor(spec.maxLoraRank()).orElse(EngineArgs.MAX_LORA_RANK) : null,
                lora ? Math.max(config.engine().maxCpuLoras(), config.engine().maxLoras()) : 0,
                b.adapters().entrySet().stream()
                        .map(e -> new ChatOverview.Adapter(e.getKey(), e.getValue()))
                        .toList());
    }

    static String kind(ServableModel model) {
        return switch (model.artifact()) {
            case BASE -> "base";
            case LORA -> "lora";
            case MERGED -> "merged";
            case CLOUD -> "cloud";
        };
    }
}
