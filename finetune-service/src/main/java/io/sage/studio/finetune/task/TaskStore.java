package io.sage.studio.finetune.task;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;

import org.jboss.logging.Logger;

import io.sage.studio.common.error.StudioException;
import io.sage.studio.events.StudioJson;
import io.sage.studio.finetune.FinetuneError;
import io.sage.studio.finetune.artifact.Artifacts;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.storage.Durability;

/**
 * The tasks: one folder per task under {@code studio_finetune/}, each with its {@code finetune_meta.json}, and
 * an in-memory copy of every record for fast reads. A record is replaced in memory only after its file has been
 * written, so memory never shows a state the disk does not hold; a failed write (disk full) leaves both at the
 * previous state. Folders whose name starts with a dot are work in progress (creation, deletion) and skipped.
 *
 * <p>Beside the records, an index of every task in list order ({@link ListKey}, newest first) is kept up to date
 * with each change, so a page of the task list is a slice of it rather than a sort of every task; and the ids of the
 * tasks in each status, so a list filtered by status counts its matches without testing every task.
 */
public final class TaskStore {

    public static final String META_FILE = "finetune_meta.json";
    private static final Logger LOG = Logger.getLogger(TaskStore.class);

    /** How a metadata file is written; production: {@code AtomicFiles::write} (temp + fsync + rename). */
    @FunctionalInterface
    public interface MetaWriter {
        void write(Path target, byte[] content) throws IOException;
    }

    /** What a rescan of the folder found. */
    public record Changes(List<TaskRecord> added, List<TaskRecord> removed) {}

    /**
     * What the list's text filter {@code q} looks in, lower case ({@link Locale#ROOT}): the task id, model name and
     * suffix, made once per published version, so the filter is a plain scan of three short arrays instead of a
     * case-folding comparison at every place of every field (at 10,000 tasks that was most of a filtered page's time;
     * a hand loop because the service's JVM runs C1 only, where {@code String.contains} is not an intrinsic).
     */
    public static final class SearchText {
        private final char[] taskId;
        private final char[] modelName;
        private final char[] suffix;

        private SearchText(TaskRecord record) {
            taskId = lower(record.taskId());
            modelName = lower(record.modelName());
            suffix = lower(record.suffix());
        }

        /** Whether {@code lowerText} (lower case, not empty) is in one of the fields. */
        public boolean contains(char[] lowerText) {
            return in(taskId, lowerText) || in(modelName, lowerText) || in(suffix, lowerText);
        }

        private static boolean in(char[] text, char[] needle) {
            char first = needle[0];
            int last = text.length - needle.length;
            next:
            for (int i = 0; i <= last; i++) {
                if (text[i] != first) {
                    continue;
                }
                for (int j = 1; j < needle.length; j++) {
                    if (text[i + j] != needle[j]) {
                        continue next;
                    }
                }
                return true;
            }
            return false;
        }

        private static char[] lower(String text) {
            return text == null ? new char[0] : text.toLowerCase(Locale.ROOT).toCharArray();
        }
    }

    /**
     * A task's place in the list: newest {@code created_at} first (a record without one last), then the greater
     * task id first. Neither changes during a task's life, so a place once handed out as a cursor stays valid.
     */
    public record ListKey(Instant createdAt, String taskId) {

        /** The list's order. */
        public static final Comparator<ListKey> NEWEST_FIRST = Comparator.comparing(
                        ListKey::createdAt, Comparator.nullsLast(Comparator.<Instant>reverseOrder()))
                .thenComparing(ListKey::taskId, Comparator.reverseOrder());

        public static ListKey of(TaskRecord record) {
            return new ListKey(record.createdAt(), record.taskId());
        }
    }

    private final Path root;
    private final MetaWriter writer;
    private final Durability durability;
    private final Map<String, TaskRecord> tasks = new ConcurrentHashMap<>();
    private final NavigableSet<ListKey> order = new ConcurrentSkipListSet<>(ListKey.NEWEST_FIRST);
    private final Map<TaskStatus, Set<String>> byStatus = new EnumMap<>(TaskStatus.class);
    private final Map<String, SearchText> searchTexts = new ConcurrentHashMap<>();

    public TaskStore(Path root, MetaWriter writer) {
        this(root, writer, Durability.REAL);
    }

    public TaskStore(Path root, MetaWriter writer, Durability durability) {
        this.root = root;
        this.writer = writer;
        this.durability = durability;
        for (TaskStatus status : TaskStatus.values()) {
            byStatus.put(status, ConcurrentHashMap.newKeySet());
        }
    }

    public Path root() {
        return root;
    }

    public Path dir(String taskId) {
        return root.resolve(taskId);
    }

    public Optional<TaskRecord> get(String taskId) {
        return Optional.ofNullable(tasks.get(taskId));
    }

    /** The task {@code taskId}; {@code task_not_found} when there is none. */
    public TaskRecord require(String taskId) {
        return get(taskId).orElseThrow(() -> new StudioException(FinetuneError.TASK_NOT_FOUND, "no task " + taskId));
    }

    public Collection<TaskRecord> all() {
        return tasks.values();
    }

    /** How many tasks there are. */
    public int size() {
        return tasks.size();
    }

    /**
     * Every task's place, newest first: a live, thread-safe view (a task added or removed while it is walked may or
     * may not be seen; look each one up with {@link #get}, which is empty for one removed meanwhile).
     */
    public NavigableSet<ListKey> newestFirst() {
        return order;
    }

    /**
     * The ids of the tasks in {@code status}: a live, thread-safe view whose size is the count (a task changing status
     * meanwhile may be seen in both its old and new status, or neither, for a moment; look each one up with
     * {@link #get}).
     */
    public Set<String> withStatus(TaskStatus status) {
        return Collections.unmodifiableSet(byStatus.get(status));
    }

    /** The lower-case text of {@code taskId} for the list's {@code q}; {@code null} when there is no such task. */
    public SearchText searchText(String taskId) {
        return searchTexts.get(taskId);
    }

    /**
     * Writes the record's file, then makes it the current version.
     *
     * @throws IllegalStateException when the change of status is not allowed by the state machine
     */
    public void save(TaskRecord record) throws IOException {
        TaskRecord previous = tasks.get(record.taskId());
        if (previous != null
                && previous.status() != record.status()
                && !previous.status().canMoveTo(record.status())) {
            throw new IllegalStateException("task " + record.taskId() + " cannot go from "
                    + previous.status().wire() + " to " + record.status().wire());
        }
        write(dir(record.taskId()), record);
        publish(record);
    }

    /** Writes a record's metadata into a (staging) folder without publishing it. */
    public void write(Path taskDir, TaskRecord record) throws IOException {
        writer.write(
                taskDir.resolve(META_FILE),
                StudioJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(record));
    }

    /**
     * Moves a fully written staging folder into place as the task's folder (its entries forced to disk before,
     * the rename after) and makes the task known.
     */
    public synchronized void commit(Path staging, TaskRecord record) throws IOException {
        durability.directory(staging);
        Files.move(staging, dir(record.taskId()), StandardCopyOption.ATOMIC_MOVE);
        durability.directory(root);
        publish(record);
    }

    /**
     * Takes a task out of the folder at once (renamed to a hidden trash folder, so it is never listed half
     * deleted) and forgets it; returns the trash folder for the caller to delete.
     */
    public synchronized Path remove(String taskId) throws IOException {
        Path trash = root.resolve(".deleting-" + taskId);
        Files.move(dir(taskId), trash, StandardCopyOption.ATOMIC_MOVE);
        unpublish(taskId);
        return trash;
    }

    /**
     * Brings memory in line with the folder: loads task folders not known yet (created, or copied in from another
     * install) and forgets finished tasks whose folder is gone.
     */
    public synchronized Changes rescan() throws IOException {
        if (!Files.isDirectory(root)) {
            return new Changes(List.of(), List.of());
        }
        List<TaskRecord> added = new ArrayList<>();
        Set<String> present = new HashSet<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
            for (Path dir : dirs) {
                String name = dir.getFileName().toString();
                if (name.startsWith(".")) {
                    continue;
                }
                present.add(name);
                if (!tasks.containsKey(name) && Files.isRegularFile(dir.resolve(META_FILE))) {
                    load(dir).ifPresent(record -> {
                        publish(record);
                        added.add(record);
                    });
                }
            }
        }
        List<TaskRecord> removed = new ArrayList<>();
        for (TaskRecord record : List.copyOf(tasks.values())) {
            if (!present.contains(record.taskId()) && record.status().terminal()) {
                unpublish(record.taskId());
                removed.add(record);
            }
        }
        return new Changes(added, removed);
    }

    /**
     * Makes {@code record} the current version of its task, in the map, the list order, the status index and the
     * search text. The
     * indexes change inside the map's per-task {@code compute}, so two versions of one task published at once (a save
     * and a rescan) cannot leave an index disagreeing with the map; other tasks are not held up.
     */
    private void publish(TaskRecord record) {
        ListKey key = ListKey.of(record);
        tasks.compute(record.taskId(), (id, previous) -> {
            order.add(key);
            byStatus.get(record.status()).add(id);
            searchTexts.put(id, new SearchText(record));
            if (previous != null && !ListKey.of(previous).equals(key)) {
                order.remove(ListKey.of(previous));
            }
            if (previous != null && previous.status() != record.status()) {
                byStatus.get(previous.status()).remove(id);
            }
            return record;
        });
    }

    private void unpublish(String taskId) {
        tasks.computeIfPresent(taskId, (id, previous) -> {
            order.remove(ListKey.of(previous));
            byStatus.get(previous.status()).remove(id);
            searchTexts.remove(id);
            return null;
        });
    }

    /**
     * Reads a task folder. The folder name is the task id and the paths are re-derived from where the folder
     * is, so a folder copied from another install (or the seed's layout) is valid here.
     */
    Optional<TaskRecord> load(Path dir) {
        TaskRecord stored;
        try (InputStream in = Files.newInputStream(dir.resolve(META_FILE), LinkOption.NOFOLLOW_LINKS)) {
            stored = StudioJson.mapper().readValue(in, TaskRecord.class);
        } catch (IOException | RuntimeException e) {
            LOG.warnf(
                    "skipping task folder %s: %s is a link or not a task record (%s)",
                    dir.getFileName(), META_FILE, e.getClass().getSimpleName());
            return Optional.empty();
        }
        try {
            TaskRecord.Builder record = stored.toBuilder()
                    .taskId(dir.getFileName().toString())
                    .outputDir(dir.toString())
                    .datasetPath(dir.resolve("dataset.jsonl").toString());
            if (stored.status() == null) {
                record.status(TaskStatus.FAILED).errorMessage("finetune_meta.json has no status");
            }
            if (stored.status() == TaskStatus.COMPLETED && stored.artifacts().isEmpty()) {
                record.artifacts(Artifacts.onDisk(dir));
            }
            return Optional.of(record.build());
        } catch (RuntimeException e) {
            LOG.warnf(
                    "skipping task folder %s: unusable %s (%s)",
                    dir.getFileName(), META_FILE, e.getClass().getSimpleName());
            return Optional.empty();
        }
    }
}
