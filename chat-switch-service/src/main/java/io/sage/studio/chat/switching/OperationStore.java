package io.sage.studio.chat.switching;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.messaging.OperationPublisher;
import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.events.ChatOperationEvent;
import io.sage.studio.events.StudioJson;

/**
 * Switch operations by id, kept in memory and in {@code $STUDIO_HOME/studio/chat/operations/<id>.json} so that an
 * operation can be read after a restart. The newest {@code keep-operations} are kept.
 */
@ApplicationScoped
public class OperationStore {

    private static final Logger LOG = Logger.getLogger(OperationStore.class);

    private final Path dir;
    private final int keep;
    private final Map<String, SwitchOperation> operations = new ConcurrentHashMap<>();
    private final Map<String, SwitchOperation> dirty = new ConcurrentHashMap<>();
    private final AtomicBoolean flushQueued = new AtomicBoolean();
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "chat-operations-writer");
        thread.setDaemon(true);
        return thread;
    });

    private final OperationPublisher publisher;

    /** A store that publishes no state changes (reading the files of earlier runs). */
    public OperationStore(StudioHome home, ChatConfig config) {
        this(home, config, null);
    }

    @Inject
    public OperationStore(StudioHome home, ChatConfig config, OperationPublisher publisher) {
        this.dir = home.chatDir().resolve("operations");
        this.keep = config.keepOperations();
        this.publisher = publisher;
    }

    /**
     * Loads the newest {@code keep-operations} operations of earlier runs (older files are deleted); those a restart
     * interrupted are marked failed.
     */
    public void load() {
        if (!Files.isDirectory(dir)) {
            return;
        }
        List<Path> newestFirst;
        try (Stream<Path> files = Files.list(dir)) {
            newestFirst = files.filter(f -> f.getFileName().toString().endsWith(".json"))
                    .sorted(Comparator.comparing(OperationStore::modified).reversed())
                    .toList();
        } catch (IOException e) {
            LOG.warnf("cannot list %s: %s", dir, e.getMessage());
            return;
        }
        for (Path file : newestFirst.subList(Math.min(keep, newestFirst.size()), newestFirst.size())) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.debugf("cannot delete %s: %s", file, e.getMessage());
            }
        }
        for (Path file : newestFirst.subList(0, Math.min(keep, newestFirst.size()))) {
            try {
                SwitchOperation op = StudioJson.mapper().readValue(Files.readAllBytes(file), SwitchOperation.class);
                if (!op.state().terminal()) {
                    op = interrupted(op);
                    AtomicFiles.writeJson(file, op);
                }
                operations.put(op.id(), op);
            } catch (IOException | RuntimeException e) {
                LOG.warnf(
                        "ignoring unreadable operation file %s (%s)",
                        file.getFileName(), e.getClass().getSimpleName());
            }
        }
    }

    private static FileTime modified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    public Optional<SwitchOperation> find(String id) {
        return Optional.ofNullable(operations.get(id));
    }

    /** Newest first. */
    public List<SwitchOperation> recent(int limit) {
        return operations.values().stream()
                .sorted(Comparator.comparing(
                                (SwitchOperation op) -> op.timings().requestedAt())
                        .reversed())
                .limit(limit)
                .toList();
    }

    /**
     * Records a new view of an operation: in memory at once, on disk in the background (one writer thread), so that no
     * file sync sits between a ready engine and its route. Views written late are coalesced (the latest per operation
     * wins), so a slow disk never makes a queue grow: at most one write task waits.
     */
    public void save(SwitchOperation op) {
        SwitchOperation previous = operations.put(op.id(), op);
        if (publisher != null && (previous == null || previous.state() != op.state())) {
            publisher.publish(event(previous, op));
        }
        dirty.put(op.id(), op);
        if (flushQueued.compareAndSet(false, true)) {
            try {
                writer.execute(this::flush);
            } catch (RejectedExecutionException e) {
                flushQueued.set(false);
            }
        }
    }

    /**
     * The outside view of a state change: {@code switch.started} for a new operation, {@code switch.succeeded},
     * {@code switch.failed} or {@code switch.rolled_back} at its end, {@code switch.step} in between.
     */
    static ChatOperationEvent event(SwitchOperation previous, SwitchOperation op) {
        String name;
        if (previous == null) {
            name = "switch.started";
        } else if (op.state() == SwitchOperation.State.COMPLETED) {
            name = "switch.succeeded";
        } else if (op.state() == SwitchOperation.State.FAILED) {
            name = op.rolledBack() ? "switch.rolled_back" : "switch.failed";
        } else {
            name = "switch.step";
        }
        String message = op.error() != null
                ? op.error()
                : op.steps().isEmpty()
                        ? null
                        : op.steps().get(op.steps().size() - 1).message();
        return new ChatOperationEvent(
                ChatOperationEvent.SCHEMA_VERSION,
                ChatOperationEvent.KIND_SWITCH,
                op.id(),
                op.state().wire(),
                name,
                op.model() != null ? op.model() : op.servedModelName(),
                previous == null ? null : previous.currentModel(),
                op.taskId(),
                message,
                op.requestedBy(),
                null,
                Instant.now());
    }

    private void flush() {
        flushQueued.set(false);
        for (String id : List.copyOf(dirty.keySet())) {
            SwitchOperation op = dirty.remove(id);
            if (op != null) {
                write(op);
            }
        }
    }

    private void write(SwitchOperation op) {
        if (operations.get(op.id()) != op) {
            return;
        }
        try {
            AtomicFiles.writeJson(dir.resolve(op.id() + ".json"), op);
        } catch (IOException e) {
            LOG.warnf("cannot persist switch operation %s: %s", op.id(), e.getMessage());
        }
        if (op.state().terminal() && operations.size() > keep) {
            prune();
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        writer.shutdown();
        try {
            writer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void prune() {
        List<SwitchOperation> old = operations.values().stream()
                .filter(op -> op.state().terminal())
                .sorted(Comparator.comparing(
                        (SwitchOperation op) -> op.timings().requestedAt()))
                .limit(Math.max(0, operations.size() - keep))
                .toList();
        for (SwitchOperation op : old) {
            operations.remove(op.id());
            try {
                Files.deleteIfExists(dir.resolve(op.id() + ".json"));
            } catch (IOException e) {
                LOG.debugf("cannot delete %s: %s", op.id(), e.getMessage());
            }
        }
    }

    private static SwitchOperation interrupted(SwitchOperation op) {
        Instant now = Instant.now();
        List<SwitchOperation.Step> steps = Stream.concat(
                        op.steps().stream(),
                        Stream.of(new SwitchOperation.Step(
                                now, "failed: interrupted by a restart of the chat-switch-service")))
                .toList();
        SwitchOperation.Timings t = op.timings();
        return new SwitchOperation(
                op.id(),
                op.model(),
                op.taskId(),
                op.strategy(),
                SwitchOperation.State.FAILED,
                "interrupted by a restart of the chat-switch-service",
                false,
                new SwitchOperation.Timings(t.requestedAt(), t.readyAt(), t.routedAt(), now, t.downtimeMs()),
                steps,
                op.requestedBy(),
                op.servedModelName(),
                op.currentModel(),
                op.modelPath(),
                false,
                op.engineStarted(),
                op.evaluationForced());
    }
}
