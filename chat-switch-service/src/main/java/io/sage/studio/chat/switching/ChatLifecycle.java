package io.sage.studio.chat.switching;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.messaging.BackendTopic;
import io.sage.studio.chat.messaging.RoutePublisher;
import io.sage.studio.chat.messaging.RoutePublisher.RoutingFailure;
import io.sage.studio.chat.registry.ModelResolver;
import io.sage.studio.chat.registry.ResolvedModel;
import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.chat.runtime.OpenAiProbe;
import io.sage.studio.chat.runtime.ServingRuntime;
import io.sage.studio.chat.runtime.cloud.CloudApi;
import io.sage.studio.chat.state.ActiveRoute;
import io.sage.studio.chat.state.ChatState;
import io.sage.studio.chat.state.RouteState;
import io.sage.studio.chat.state.StateSnapshot;
import io.sage.studio.common.error.ApiException;
import io.sage.studio.events.ChatBackendEvent;

/**
 * Start-up and supervision. At start: read the state file and the route topic (revisions continue), re-adopt the
 * engine that served and stop every other one, then make sure something serves: the adopted engine (route
 * republished), else {@code initial-model}, else the model that served before; in cloud mode the cloud API.
 * Afterwards a monitor restarts the active engine when it dies and expires switch commands Kafka never delivered.
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
    private final ModelResolver resolver;
    private final CloudApi cloud;
    private final OpenAiProbe probe;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "chat-lifecycle");
        thread.setDaemon(true);
        return thread;
    });

    public ChatLifecycle(ChatConfig config, ChatState state, OperationStore operations, BackendTopic topic, ServingRuntime runtime,
            RoutePublisher routes, SwitchService switches, ModelResolver resolver, CloudApi cloud, OpenAiProbe probe) {
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
            adopt(saved);
            switches.accept();
            ensureServing(saved);
            scheduler.scheduleWithFixedDelay(this::monitor, config.monitorInterval().toMillis(), config.monitorInterval().toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.errorf(e, "start-up of the chat-switch-service failed; retrying in %d s", RETRY.toSeconds());
            scheduler.schedule(this::initialize, RETRY.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Keeps the engine the route pointed at when it is still there and healthy; stops every other one. */
    private void adopt(StateSnapshot saved) {
        Set<String> keep = saved.routeState() == RouteState.ACTIVE && saved.route() != null ? Set.of(saved.route().backendId()) : Set.of();
        List<Backend> adopted = runtime.adopt(saved.backends(), keep).stream()
                .filter(b -> {
                    if (probe.health(b.baseUrl()).ok()) {
                        return true;
                    }
                    LOG.warnf("engine %s is running but not healthy; stopping it", b.id());
                    runtime.stop(b);
                    return false;
                })
                .map(b -> b.withState(Backend.State.READY))
                .toList();
        state.replaceBackends(adopted);
    }

    private void ensureServing(StateSnapshot saved) {
        Optional<Backend> active = state.activeBackend();
        if (active.isPresent()) {
            ActiveRoute route = state.route().orElseThrow();
            try {
                routes.active(route, null);
                LOG.infof("re-adopted engine %s serving %s", active.get().id(), route.servedModelName());
            } catch (RoutingFailure e) {
                LOG.errorf("cannot republish the route: %s", e.getMessage());
            }
            return;
        }
        Optional<String> initial = config.initialModel();
        if (initial.isPresent()) {
            resolveInitial(initial.get(), 1);
            return;
        }
        ActiveRoute previous = saved.route();
        if (previous != null && saved.routeState() != RouteState.NONE && config.runtime() != ChatConfig.RuntimeKind.NONE
                && !ResolvedModel.KIND_CLOUD.equals(previous.model().kind())) {
            LOG.infof("the engine of %s is gone; starting it again", previous.model().displayName());
            startWith(previous.model(), "startup");
        } else if (cloud.configured()) {
            startWith(cloud.model(cloud.defaultModel().orElseThrow()), "startup");
        } else {
            announceNone();
        }
    }

    /** Resolves {@code initial-model}, retrying while the finetune-service is not up yet. */
    private void resolveInitial(String model, int attempt) {
        try {
            ResolvedModel target = model.startsWith("task:") ? resolver.byTask(model.substring(5)) : resolver.byModel(model);
            startWith(target, "startup");
        } catch (ApiException e) {
            if (e.status() == 503 && attempt < INITIAL_MODEL_ATTEMPTS) {
                scheduler.schedule(() -> resolveInitial(model, attempt + 1), RETRY.toMillis(), TimeUnit.MILLISECONDS);
                return;
            }
            LOG.errorf("studio.chat.initial-model '%s' cannot serve: %s", model, e.getMessage());
            announceNone();
        }
    }

    private void startWith(ResolvedModel target, String requestedBy) {
        Optional<SwitchOperation> op = switches.submit(target, requestedBy, false);
        op.ifPresent(o -> LOG.infof("switch %s to %s started (%s)", o.id(), target.displayName(), requestedBy));
    }

    /** Publishes NONE when the topic still names a backend nobody serves. */
    private void announceNone() {
        Optional<ChatBackendEvent> last = topic.latest();
        if (last.isPresent() && last.get().state() != ChatBackendEvent.State.NONE) {
            try {
                routes.none(null);
            } catch (RoutingFailure e) {
                LOG.errorf("cannot publish that no backend serves: %s", e.getMessage());
            }
        }
    }

    private void monitor() {
        try {
            switches.expireUndelivered();
            if (switches.running().isPresent() || !runtime.hasEngines()) {
                return;
            }
            Optional<Backend> active = state.activeBackend();
            if (active.isEmpty() || active.get().state() == Backend.State.FAILED) {
                return;
            }
            var liveness = runtime.liveness(active.get());
            if (liveness.alive()) {
                return;
            }
            LOG.warnf("the active engine %s died: %s", active.get().id(), liveness.reason());
            state.put(active.get().withState(Backend.State.FAILED));
            ActiveRoute route = state.route().orElseThrow();
            if (config.restartCrashed()) {
                switches.submit(route.model(), "monitor", true);
            } else {
                routes.none(null);
            }
        } catch (RoutingFailure | RuntimeException e) {
            LOG.errorf("the engine monitor failed: %s", e.getMessage());
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

    /** Stops every engine and routes to nothing ({@code POST /api/chat/stop}). */
    public List<String> stopEngines(String reason) {
        List<Backend> all = state.backends();
        if (!all.isEmpty() || state.routeState() != RouteState.NONE) {
            try {
                routes.none(reason);
            } catch (RoutingFailure e) {
                LOG.errorf("cannot publish that no backend serves: %s", e.getMessage());
            }
        }
        for (Backend backend : all) {
            runtime.stop(backend);
            state.remove(backend.id());
        }
        return all.stream().map(Backend::id).toList();
    }
}
