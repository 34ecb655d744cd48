package io.sage.studio.gateway.routing;

import java.util.Locale;

import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.gateway.proxy.UpstreamTarget;
import io.sage.studio.gateway.status.BackendMeters;

/**
 * One model a route serves by name: the backend as the route event names it, where its requests go (with the cloud
 * key for {@code kind: cloud} only) and its own meters, so that every model of a route is counted apart (the
 * figures a rollout compares).
 *
 * @param backend  the backend of the route event
 * @param upstream where its requests go
 * @param meters   its meters (backend id and served model name)
 */
public record RouteTarget(ChatBackendEvent.Backend backend, UpstreamTarget upstream, BackendMeters meters) {

    /** The model name sent to the backend. */
    public String servedModel() {
        return backend.servedModelName();
    }

    /** The backend id (the served name when the event gives none). */
    public String backendId() {
        return meters == null ? backendIdOf(backend) : meters.backendId();
    }

    /** Whether the backend is a cloud API (it gets the cloud key, never the engine key). */
    public boolean cloud() {
        return isCloud(backend);
    }

    static boolean isCloud(ChatBackendEvent.Backend backend) {
        return backend.kind() != null && backend.kind().toLowerCase(Locale.ROOT).equals("cloud");
    }

    static String backendIdOf(ChatBackendEvent.Backend backend) {
        return backend.id() == null || backend.id().isBlank() ? backend.servedModelName() : backend.id();
    }
}
