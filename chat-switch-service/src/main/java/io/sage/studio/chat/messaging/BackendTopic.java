package io.sage.studio.chat.messaging;

import java.time.Duration;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.sage.studio.common.kafka.CompactedTopicView;
import io.sage.studio.common.kafka.EventSigning;
import io.sage.studio.common.kafka.KafkaClientConfig;
import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.events.Topics;

/**
 * The compacted {@code studio.chat.backend} topic read from the beginning: the last route any instance published
 * (with a signing key, the last one signed with it).
 */
@ApplicationScoped
public class BackendTopic {

    private final CompactedTopicView<ChatBackendEvent> view;

    public BackendTopic(KafkaClientConfig kafka, EventSigning signing) {
        this.view = new CompactedTopicView<>(Topics.CHAT_BACKEND, ChatBackendEvent.class, kafka.properties())
                .admitOnly(signing::accept);
    }

    /** Waits until the view has read what the topic held when it started. */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return view.awaitCaughtUp(timeout);
    }

    public Optional<ChatBackendEvent> latest() {
        return Optional.ofNullable(view.get(ChatBackendEvent.KEY));
    }

    public long lastRevision() {
        return latest().map(ChatBackendEvent::revision).orElse(0L);
    }

    void onStart(@Observes StartupEvent event) {
        view.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        view.close();
    }
}
