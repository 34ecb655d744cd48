package io.sage.studio.chat.support;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerConfig;

import io.sage.studio.common.kafka.CompactedTopicView;
import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.events.Topics;
import io.sage.studio.kafka.KafkaTestResource;

/** Follows {@code studio.chat.backend} on the test broker like a gateway does, keeping every event it sees. */
public final class RouteWatcher implements AutoCloseable {

    private final CompactedTopicView<ChatBackendEvent> view;
    private final List<ChatBackendEvent> seen = new CopyOnWriteArrayList<>();

    public RouteWatcher() {
        this(KafkaTestResource.broker().bootstrapServers());
    }

    /** Follows the route topic of the broker at {@code bootstrapServers}. */
    public RouteWatcher(String bootstrapServers) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        view = new CompactedTopicView<>(Topics.CHAT_BACKEND, ChatBackendEvent.class, props);
        view.onChange((key, event) -> {
            if (event != null) {
                seen.add(event);
            }
        });
        view.start();
        try {
            if (!view.awaitCaughtUp(Duration.ofSeconds(30))) {
                throw new IllegalStateException("the route topic could not be read");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public ChatBackendEvent latest() {
        return view.get(ChatBackendEvent.KEY);
    }

    public long revision() {
        ChatBackendEvent latest = latest();
        return latest == null ? 0 : latest.revision();
    }

    /** How many events were seen so far: pass it to {@link #after(int)}. */
    public int mark() {
        return seen.size();
    }

    /**
     * Every event seen after {@code mark}, in log order. Unlike revisions (which another service instance of the
     * shared test broker, e.g. one that admits signed events only, may reuse), the log order never goes back.
     */
    public List<ChatBackendEvent> after(int mark) {
        return List.copyOf(seen.subList(Math.min(mark, seen.size()), seen.size()));
    }

    /** Every event seen after the last one {@code marker} matches (all of them when none does). */
    public List<ChatBackendEvent> after(Predicate<ChatBackendEvent> marker) {
        List<ChatBackendEvent> all = List.copyOf(seen);
        int last = -1;
        for (int i = 0; i < all.size(); i++) {
            if (marker.test(all.get(i))) {
                last = i;
            }
        }
        return all.subList(last + 1, all.size());
    }

    /** Every event seen after {@code revision}, in order. */
    public List<ChatBackendEvent> since(long revision) {
        return seen.stream().filter(e -> e.revision() > revision).toList();
    }

    @Override
    public void close() {
        view.close();
    }
}
