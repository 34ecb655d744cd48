package io.sage.studio.chat.state;

import java.time.Instant;
import java.util.List;

import io.sage.studio.chat.runtime.Backend;

/**
 * The content of {@code $STUDIO_HOME/studio/chat/state.json}: the last route revision published, the route,
 * the models served by name beside it, the default's split while a rollout runs, and every engine this service runs,
 * so that a restarted service continues the revisions and re-adopts them.
 *
 * @param served every model served by name besides the default (empty in files written before the serving set)
 * @param split  the default's traffic split while a rollout runs, or {@code null}
 */
public record StateSnapshot(
        long revision,
        RouteState routeState,
        PublishedRoute route,
        List<Backend> backends,
        Instant updatedAt,
        List<PublishedRoute> served,
        RolloutSplit split) {

    public StateSnapshot {
        backends = backends == null ? List.of() : List.copyOf(backends);
        routeState = routeState == null ? RouteState.NONE : routeState;
        served = served == null ? List.of() : List.copyOf(served);
    }

    /** A state with a route and engines only (nothing served by name, no rollout). */
    public StateSnapshot(
            long revision, RouteState routeState, PublishedRoute route, List<Backend> backends, Instant updatedAt) {
        this(revision, routeState, route, backends, updatedAt, List.of(), null);
    }

    public static StateSnapshot empty() {
        return new StateSnapshot(0, RouteState.NONE, null, List.of(), null, List.of(), null);
    }
}
