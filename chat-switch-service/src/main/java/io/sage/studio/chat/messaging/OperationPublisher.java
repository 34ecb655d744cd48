package io.sage.studio.chat.messaging;

import java.util.concurrent.CompletableFuture;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

import io.sage.studio.common.kafka.EventMessages;
import io.sage.studio.events.ChatOperationEvent;

/**
 * Publishes switch and rollout state changes on {@code studio.chat.operations} (channel {@value #CHANNEL}), for
 * outside systems (the finetune-service's webhooks) to learn of them. Fire and forget: the operation and rollout
 * files are the truth, and a switch never waits for this topic; a change that cannot be handed to the producer
 * (its buffer of {@value #BUFFER} is full) or that the broker refuses is logged and dropped.
 */
@ApplicationScoped
public class OperationPublisher {

    public static final String CHANNEL = "chat-operations";
    static final int BUFFER = 1024;
    private static final Logger LOG = Logger.getLogger(OperationPublisher.class);

    private final Emitter<ChatOperationEvent> emitter;

    public OperationPublisher(
            @Channel(CHANNEL) @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = BUFFER)
                    Emitter<ChatOperationEvent> emitter) {
        this.emitter = emitter;
    }

    public void publish(ChatOperationEvent event) {
        try {
            emitter.send(EventMessages.of(event, RoutePublisher.COMPONENT).withNack(error -> {
                LOG.warnf("%s of %s not published: %s", event.event(), event.id(), error.getMessage());
                return CompletableFuture.completedFuture(null);
            }));
        } catch (RuntimeException e) {
            LOG.warnf("%s of %s not published: %s", event.event(), event.id(), e.getMessage());
        }
    }
}
