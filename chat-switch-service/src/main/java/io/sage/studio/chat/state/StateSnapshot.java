package io.sage.studio.chat.state;

import java.time.Instant;
import java.util.List;

import io.sage.studio.chat.runtime.Backend;

/**
 * The content of {@code $STUDIO_HOME/studio/chat/state.json}: the last route revision published, the route,
 * and every engine this service runs, so that a restarted service continues the revisions and re-adopts them.
 */
public record StateSnapshot(
        long revision, RouteState routeState, PublishedRoute route, List<Backend> backends, Instant updatedAt) {

    public StateSnapshot {
        backends = backends == null ? List.of() : List.copyOf(backends);
        routeState = routeState == null ? RouteState.NONE : routeState;
    }

    public static StateSnapshot empty() {
        return new StateSnapshot(0, RouteState.NONE, null, List.of(), null);
    }
}
