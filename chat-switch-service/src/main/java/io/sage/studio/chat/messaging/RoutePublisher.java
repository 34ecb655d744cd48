package io.sage.studio.chat.messaging;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.jboss.logging.Logger;

import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.state.ChatState;
import io.sage.studio.chat.state.GatewaySync;
import io.sage.studio.chat.state.PublishedRoute;
import io.sage.studio.chat.state.RouteState;
import io.sage.studio.common.kafka.EventMessages;
import io.sage.studio.events.ChatBackendEvent;
import io.smallrye.reactive.messaging.MutinyEmitter;

/**
 * Publishes the route on the compacted {@code studio.chat.backend} topic (key {@code active}) and waits for the
 * broker's acknowledgement: once a method returns, every gateway following the topic will route accordingly.
 * Revisions only grow, across restarts too (the larger of the state file's and the topic's, plus one); nothing is
 * written to disk between "ready" and the route. Then the state file and the external gateways (env file,
 * ConfigMap) follow.
 */
@ApplicationScoped
public class RoutePublisher {

    public static final String COMPONENT = "chat-switch-service";
    private static final Logger LOG = Logger.getLogger(RoutePublisher.class);

    private final MutinyEmitter<ChatBackendEvent> emitter;
    private final ChatState state;
    private final BackendTopic topic;
    private final Instance<GatewaySync> gateways;
    private final int retryAfterSeconds;
    private final Duration ackTimeout;

    public RoutePublisher(
            @Channel("chat-backend") MutinyEmitter<ChatBackendEvent> emitter,
            ChatState state,
            BackendTopic topic,
            Instance<GatewaySync> gateways,
            ChatConfig config) {
        this.emitter = emitter;
        this.state = state;
        this.topic = topic;
        this.gateways = gateways;
        this.retryAfterSeconds = config.retryAfterSeconds();
        this.ackTimeout = config.routePublishTimeout();
    }

    /**
     * The broker did not acknowledge the route within {@code route-publish-timeout}. The producer gives up before that
     * ({@link ProducerTimeouts}), so the event is either on the topic already or never will be; publishing again (the
     * same route or the one to restore) settles which holds: the producer keeps the order.
     */
    public static class RoutingFailure extends Exception {
        RoutingFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Routes chat to {@code route}; returns when the broker has the event. */
    public synchronized Instant active(PublishedRoute route, String operationId) throws RoutingFailure {
        return publish(ChatBackendEvent.State.ACTIVE, backendOf(route), route, operationId);
    }

    /**
     * Publishes the route this service holds again with the serving set and split {@link ChatState} holds now (after
     * a model was served or unserved, or a rollout's weight changed); returns when the broker has it.
     */
    public synchronized Instant refresh(String operationId) throws RoutingFailure {
        RouteState kind = state.routeState();
        PublishedRoute route = state.route().orElse(null);
        if (kind == RouteState.ACTIVE && route == null) {
            kind = RouteState.NONE;
        }
        return republish(kind, route, operationId);
    }

    private static ChatBackendEvent.Backend backendOf(PublishedRoute route) {
        return new ChatBackendEvent.Backend(
                route.backendId(),
                route.baseUrl(),
                route.servedModelName(),
                route.model().displayName(),
                route.model().modelPath(),
                route.model().baseModel(),
                route.model().kind(),
                route.runtime());
    }

    /** No backend serves for a while (recreate): gateways answer 503 with Retry-After. */
    public synchronized Instant switching(String operationId) throws RoutingFailure {
        return publish(ChatBackendEvent.State.SWITCHING, null, state.route().orElse(null), operationId);
    }

    /** No backend at all. */
    public synchronized Instant none(String operationId) throws RoutingFailure {
        return publish(ChatBackendEvent.State.NONE, null, null, operationId);
    }

    /** Publishes {@code route} in state {@code kind} again (idempotent: gateways already there stay there). */
    public synchronized Instant republish(RouteState kind, PublishedRoute route, String operationId)
            throws RoutingFailure {
        return switch (kind) {
            case ACTIVE -> active(route, operationId);
            case SWITCHING -> publish(ChatBackendEvent.State.SWITCHING, null, route, operationId);
            case NONE -> none(operationId);
        };
    }

    private Instant publish(
            ChatBackendEvent.State kind, ChatBackendEvent.Backend backend, PublishedRoute route, String operationId)
            throws RoutingFailure {
        long revision = state.nextRevision(topic.lastRevision());
        Instant since = Instant.now();
        ChatBackendEvent event = new ChatBackendEvent(
                ChatBackendEvent.SCHEMA_VERSION,
                revision,
                kind,
                backend,
                since,
                operationId,
                kind == ChatBackendEvent.State.SWITCHING ? retryAfterSeconds : null,
                state.served().stream().map(RoutePublisher::backendOf).toList(),
                state.split()
                        .filter(s -> kind == ChatBackendEvent.State.ACTIVE
                                && backend != null
                                && s.baseline().equals(backend.servedModelName()))
                        .map(s -> new ChatBackendEvent.Split(s.rolloutId(), backendOf(s.candidate()), s.weight()))
                        .orElse(null));
        try {
            emitter.sendMessage(EventMessages.of(event, COMPONENT)).await().atMost(ackTimeout);
        } catch (RuntimeException e) {
            throw new RoutingFailure(
                    "cannot publish the route on Kafka within " + ackTimeout.toSeconds() + " s: "
                            + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()),
                    e);
        }
        Instant at = Instant.now();
        RouteState routeState = switch (kind) {
            case ACTIVE -> RouteState.ACTIVE;
            case SWITCHING -> RouteState.SWITCHING;
            case NONE -> RouteState.NONE;
        };
        PublishedRoute kept = route == null
                ? null
                : new PublishedRoute(
                        route.backendId(),
                        route.baseUrl(),
                        route.servedModelName(),
                        route.model(),
                        route.runtime(),
                        kind == ChatBackendEvent.State.ACTIVE ? since : route.since());
        try {
            state.route(routeState, kept);
        } catch (UncheckedIOException e) {
            // The route is on the topic (and in memory): that is what counts; the file follows with the next change.
            LOG.errorf(
                    "route revision %d is published but the state file could not be written: %s",
                    revision, e.getMessage());
        }
        LOG.infof(
                "route revision %d: %s%s",
                revision, kind, backend == null ? "" : " → " + backend.servedModelName() + " at " + backend.baseUrl());
        for (GatewaySync gateway : gateways) {
            try {
                gateway.routeChanged(event);
            } catch (RuntimeException e) {
                LOG.errorf(
                        "updating the external gateway (%s) failed: %s",
                        gateway.getClass().getSimpleName(), e.getMessage());
            }
        }
        return at;
    }
}
