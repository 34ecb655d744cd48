package io.sage.studio.chat.rollout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.messaging.OperationPublisher;
import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.events.ChatOperationEvent;
import io.sage.studio.events.StudioJson;

/**
 * Rollouts by id, in memory and in {@code $STUDIO_HOME/studio/chat/rollouts/<id>.json} (written atomically at each
 * change: a rollout changes a few times a minute at most). The newest {@code keep-operations} are kept.
 */
@ApplicationScoped
public class RolloutStore {

    private static final Logger LOG = Logger.getLogger(RolloutStore.class);

    private final Path dir;
    private final int keep;
    private final Map<String, Rollout> rollouts = new LinkedHashMap<>();

    private final OperationPublisher publisher;

    public RolloutStore(StudioHome home, ChatConfig config, OperationPublisher publisher) {
        this.dir = home.chatDir().resolve("rollouts");
        this.keep = config.keepOperations();
        this.publisher = publisher;
    }

    /** Reads the rollouts of earlier runs, oldest first. */
    public synchronized List<Rollout> load() {
        rollouts.clear();
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(f -> f.getFileName().toString().endsWith(".json")).forEach(this::read);
        } catch (IOException e) {
            LOG.warnf("cannot list %s: %s", dir, e.getMessage());
        }
        trim();
        return List.copyOf(rollouts.values());
    }

    private void read(Path file) {
        try {
            Rollout rollout = StudioJson.mapper().readValue(Files.readAllBytes(file), Rollout.class);
            rollouts.put(rollout.rolloutId(), rollout);
        } catch (IOException | RuntimeException e) {
            LOG.warnf(
                    "ignoring unreadable rollout file %s (%s)",
                    file.getFileName(), e.getClass().getSimpleName());
        }
    }

    /** Records a rollout; a failed write is logged (the rollout goes on in memory). */
    public synchronized void save(Rollout rollout) {
        Rollout previous = rollouts.put(rollout.rolloutId(), rollout);
        String name = eventName(previous, rollout);
        if (name != null) {
            List<Rollout.Entry> history = rollout.history();
            publisher.publish(new ChatOperationEvent(
                    ChatOperationEvent.SCHEMA_VERSION,
                    ChatOperationEvent.KIND_ROLLOUT,
                    rollout.rolloutId(),
                    rollout.state().wire(),
                    name,
                    rollout.model(),
                    rollout.baseline(),
                    null,
                    history.isEmpty()
                            ? rollout.reason()
                            : history.get(history.size() - 1).message(),
                    null,
                    null,
                    Instant.now()));
        }
        try {
            AtomicFiles.writeJson(dir.resolve(rollout.rolloutId() + ".json"), rollout);
        } catch (IOException e) {
            LOG.errorf("cannot write rollout %s: %s", rollout.rolloutId(), e.getMessage());
        }
        trim();
    }

    /**
     * The outside name of a change ({@code rollout.started}, {@code rollout.step} when the candidate's share or step
     * moved, {@code rollout.promoted}, {@code rollout.rolled_back}, {@code rollout.aborted}), or {@code null} when only
     * its figures changed.
     */
    static String eventName(Rollout previous, Rollout now) {
        if (previous == null) {
            return "rollout.started";
        }
        if (previous.state() != now.state()) {
            return "rollout." + now.state().wire();
        }
        if (now.state() == Rollout.State.RUNNING
                && (previous.weight() != now.weight() || previous.step() != now.step())) {
            return "rollout.step";
        }
        return null;
    }

    public synchronized Optional<Rollout> find(String id) {
        return Optional.ofNullable(rollouts.get(id));
    }

    /** Newest first. */
    public synchronized List<Rollout> recent(int limit) {
        return rollouts.values().stream()
                .sorted(Comparator.comparing(Rollout::createdAt).reversed())
                .limit(limit)
                .toList();
    }

    private void trim() {
        List<Rollout> oldestFirst = rollouts.values().stream()
                .filter(r -> r.state().terminal())
                .sorted(Comparator.comparing(Rollout::createdAt))
                .toList();
        for (int i = 0; i < oldestFirst.size() - keep; i++) {
            String id = oldestFirst.get(i).rolloutId();
            rollouts.remove(id);
            try {
                Files.deleteIfExists(dir.resolve(id + ".json"));
            } catch (IOException e) {
                LOG.debugf("cannot delete rollout %s: %s", id, e.getMessage());
            }
        }
    }
}
