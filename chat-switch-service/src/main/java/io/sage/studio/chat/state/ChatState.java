package io.sage.studio.chat.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.events.StudioJson;

/**
 * The service's memory of the route and the engines, written through to {@code state.json} (atomically) on every
 * change. All methods are synchronized; readers get immutable snapshots. A failed write leaves memory changed and
 * throws {@link UncheckedIOException}.
 */
@ApplicationScoped
public class ChatState {

    private static final Logger LOG = Logger.getLogger(ChatState.class);

    private final Path file;
    private long revision;
    private RouteState routeState = RouteState.NONE;
    private PublishedRoute route;
    private boolean pending;
    private final Map<String, Backend> backends = new LinkedHashMap<>();
    private final Map<String, PublishedRoute> served = new LinkedHashMap<>();
    private RolloutSplit split;

    public ChatState(StudioHome home) {
        this.file = home.chatDir().resolve("state.json");
    }

    /** Reads the state file of a previous run (nothing when there is none or it cannot be read). */
    public synchronized StateSnapshot load() {
        if (!Files.isRegularFile(file)) {
            return StateSnapshot.empty();
        }
        try {
            StateSnapshot saved = StudioJson.mapper().readValue(Files.readAllBytes(file), StateSnapshot.class);
            revision = saved.revision();
            routeState = saved.routeState();
            route = saved.route();
            backends.clear();
            saved.backends().forEach(b -> backends.put(b.id(), b));
            served.clear();
            saved.served().forEach(r -> served.put(r.servedModelName(), r));
            split = saved.split();
            return saved;
        } catch (IOException e) {
            LOG.warnf("ignoring the unreadable state file %s: %s", file, e.getMessage());
            return StateSnapshot.empty();
        }
    }

    public synchronized StateSnapshot snapshot() {
        return new StateSnapshot(
                revision,
                routeState,
                route,
                List.copyOf(backends.values()),
                Instant.now(),
                List.copyOf(served.values()),
                split);
    }

    /**
     * The next route revision: above every revision this instance used and above {@code atLeast} (the topic's
     * last). Not written here: a published revision is durable on the topic (which a restart reads) and reaches
     * the file with the route; an unpublished one may be handed out again.
     */
    public synchronized long nextRevision(long atLeast) {
        revision = Math.max(revision, atLeast) + 1;
        return revision;
    }

    public synchronized long revision() {
        return revision;
    }

    /** The route as the broker acknowledged it: what every gateway follows now. */
    public synchronized void route(RouteState state, PublishedRoute newRoute) {
        routeState = state;
        route = newRoute;
        pending = false;
        save();
    }

    /**
     * The route chat must take, but the broker has not acknowledged it yet (Kafka failed or timed out): gateways may
     * still follow an earlier one. The monitor publishes it as soon as it can ({@link #routePending()}), and until then
     * no engine a gateway may still follow is stopped.
     */
    public synchronized void routePending(RouteState state, PublishedRoute newRoute) {
        routeState = state;
        route = newRoute;
        pending = true;
        save();
    }

    /** Whether the route is still to be published (see {@link #routePending(RouteState, PublishedRoute)}). */
    public synchronized boolean routePending() {
        return pending;
    }

    public synchronized RouteState routeState() {
        return routeState;
    }

    public synchronized Optional<PublishedRoute> route() {
        return Optional.ofNullable(route);
    }

    /** The backend the route points at, when the route is active and the backend is an engine of this service. */
    public synchronized Optional<Backend> activeBackend() {
        if (routeState != RouteState.ACTIVE || route == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(backends.get(route.backendId()));
    }

    public synchronized void put(Backend backend) {
        backends.put(backend.id(), backend);
        save();
    }

    public synchronized void remove(String backendId) {
        backends.remove(backendId);
        save();
    }

    public synchronized Optional<Backend> backend(String id) {
        return Optional.ofNullable(backends.get(id));
    }

    public synchronized List<Backend> backends() {
        return new ArrayList<>(backends.values());
    }

    /**
     * The models served by name besides the default, in the order they were added. Changing them changes what
     * gateways route only once the route is published again ({@code RoutePublisher.refresh}).
     */
    public synchronized List<PublishedRoute> served() {
        return List.copyOf(served.values());
    }

    /** Adds (or replaces) a model served by name, keyed by its served model name. */
    public synchronized void serve(PublishedRoute model) {
        served.put(model.servedModelName(), model);
        save();
    }

    /** Removes a model served by name; whether it was there. */
    public synchronized boolean unserve(String servedModelName) {
        boolean removed = served.remove(servedModelName) != null;
        if (removed) {
            save();
        }
        return removed;
    }

    /**
     * The engines that serve a model by name or the rollout's candidate: they must keep running whatever the default
     * route does (the monitor's clean-up and a switch's stop only the others).
     */
    public synchronized Set<String> servingBackendIds() {
        Set<String> ids = new LinkedHashSet<>();
        served.values().forEach(r -> ids.add(r.backendId()));
        if (split != null && split.candidate() != null) {
            ids.add(split.candidate().backendId());
        }
        return ids;
    }

    /** The default's split while a rollout runs. */
    public synchronized Optional<RolloutSplit> split() {
        return Optional.ofNullable(split);
    }

    /** Sets (or with {@code null} ends) the default's split; published with the next route. */
    public synchronized void split(RolloutSplit newSplit) {
        split = newSplit;
        save();
    }

    /** Replaces every backend (after re-adoption). */
    public synchronized void replaceBackends(List<Backend> adopted) {
        backends.clear();
        adopted.forEach(b -> backends.put(b.id(), b));
        save();
    }

    private void save() {
        try {
            AtomicFiles.writeJson(file, snapshot());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
