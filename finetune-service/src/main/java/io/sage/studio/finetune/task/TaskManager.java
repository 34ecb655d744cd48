package io.sage.studio.finetune.task;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;

import io.sage.studio.common.error.ApiException;
import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.events.StudioJson;
import io.sage.studio.events.TaskEvent;
import io.sage.studio.finetune.artifact.Artifacts;
import io.sage.studio.finetune.dataset.DatasetService;
import io.sage.studio.finetune.domain.Ids;
import io.sage.studio.finetune.domain.RunHandle;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TaskRequest;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.domain.TaskWarning;
import io.sage.studio.finetune.domain.TrainerPhase;
import io.sage.studio.finetune.domain.TrainingConfig;
import io.sage.studio.finetune.domain.TrainingMethod;
import io.sage.studio.finetune.executor.RunListener;
import io.sage.studio.finetune.executor.TaskExecutor;
import io.sage.studio.finetune.progress.LogEvent;
import io.sage.studio.finetune.progress.LogFollower;
import io.sage.studio.finetune.progress.LogTail;
import io.sage.studio.finetune.progress.MetricsSeries;
import io.sage.studio.finetune.progress.ProgressTracker;
import io.sage.studio.finetune.queue.TaskQueue;
import io.sage.studio.finetune.storage.StorageErrors;
import io.sage.studio.finetune.storage.TreeFiles;
import io.smallrye.mutiny.Multi;

/**
 * Owns the life of every task: creation, the persistent priority queue, dispatch to the executor, live progress
 * from {@code progress.jsonl}, the final outcome, cancel, delete, and recovery after a restart. Every change is
 * written to {@code finetune_meta.json} first and then published to the listeners (Kafka, SSE) with a growing
 * revision. See {@code DESIGN.md} beside this module for the state machine and the recovery rules.
 *
 * <p>Threads: API calls, one dispatcher, one poller (progress files every {@code progress-poll}, task folder
 * rescan), and executor callbacks. Changes of one task are serialised by a per-task lock.
 */
public final class TaskManager implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(TaskManager.class);
    static final String JOB_FILE = "job.json";
    static final String LOG_FILE = "logs.txt";
    private static final Duration RETRY = Duration.ofSeconds(5);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    /** Timing, presentation and quota settings. */
    public record Settings(Duration progressInterval, Duration progressPoll, Duration rescanInterval, int logsTailLines,
            int maxQueuedPerOwner) {

        public Settings(Duration progressInterval, Duration progressPoll, Duration rescanInterval, int logsTailLines) {
            this(progressInterval, progressPoll, rescanInterval, logsTailLines, Integer.MAX_VALUE);
        }
    }

    private final TaskStore store;
    private final TaskQueue queue = new TaskQueue();
    private final TaskExecutor executor;
    private final DatasetService datasets;
    private final WarningsProvider advisor;
    private final List<TaskListener> listeners;
    private final Settings settings;
    private final LogTail logTail = new LogTail();
    private final LogFollower logFollower = new LogFollower();
    private final Map<String, View> views = new ConcurrentHashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    private final Map<String, Tracked> tracked = new ConcurrentHashMap<>();
    /** Creations in progress per owner (counted by the task quota); guarded by itself. */
    private final Map<String, Integer> creating = new ConcurrentHashMap<>();
    private final RunListener runListener = new ExecutorEvents();
    private final ExecutorService dispatcher = Executors.newSingleThreadExecutor(daemon("finetune-dispatcher"));
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(daemon("finetune-progress"));
    private volatile boolean closed;

    /** A running task whose progress file is followed. */
    private static final class Tracked {
        final ProgressTracker tracker;
        long lastFlushNanos;
        boolean dirty;

        Tracked(ProgressTracker tracker) {
            this.tracker = tracker;
        }
    }

    public TaskManager(TaskStore store, TaskExecutor executor, DatasetService datasets, WarningsProvider advisor,
            List<TaskListener> listeners, Settings settings) {
        this.store = store;
        this.executor = executor;
        this.datasets = datasets;
        this.advisor = advisor;
        this.listeners = List.copyOf(listeners);
        this.settings = settings;
    }

    // ---------------------------------------------------------------- lifecycle

    /** Loads every task folder, re-adopts or settles tasks that were running, rebuilds the queue, starts work. */
    public void start() throws IOException {
        Files.createDirectories(store.root());
        removeLeftovers();
        List<TaskRecord> records = store.rescan().added().stream()
                .sorted(Comparator.comparingLong(TaskRecord::queueSeq)).toList();
        for (TaskRecord record : records) {
            queue.observeSeq(record.queueSeq());
            recover(record);
        }
        long poll = settings.progressPoll().toMillis();
        poller.scheduleWithFixedDelay(this::pollProgress, poll, poll, TimeUnit.MILLISECONDS);
        long rescan = settings.rescanInterval().toMillis();
        poller.scheduleWithFixedDelay(this::rescan, rescan, rescan, TimeUnit.MILLISECONDS);
        LOG.infof("%d task(s) loaded from %s, %d queued, executor %s", records.size(), store.root(), queue.size(),
                executor.name());
        kick();
    }

    /** Stops the service's threads. Trainers keep running; the next start re-adopts them. */
    @Override
    public void close() {
        closed = true;
        dispatcher.shutdown();
        poller.shutdown();
        try {
            if (!dispatcher.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)
                    || !poller.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("task threads did not finish in time; stopping them");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        dispatcher.shutdownNow();
        poller.shutdownNow();
        logFollower.close();
        executor.close();
    }

    private void removeLeftovers() throws IOException {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(store.root(), ".{creating,deleting}-*")) {
            for (Path dir : dirs) {
                TreeFiles.deleteQuietly(dir);
            }
        }
    }

    /** Puts a task found on disk back where it belongs: the queue, its still-running trainer, or its outcome. */
    private void recover(TaskRecord record) {
        String id = record.taskId();
        synchronized (lock(id)) {
            TaskStatus status = record.status();
            if (status.waiting()) {
                queue.add(id, record.priority(), record.queueSeq());
                if (status == TaskStatus.PENDING) {
                    saveAndPublish(next(record).status(TaskStatus.QUEUED).build(), TaskEvent.Kind.STATE_CHANGED);
                }
                return;
            }
            if (!status.running()) {
                return;
            }
            RunHandle run = record.run();
            Path dir = store.dir(id);
            if (run == null && status == TaskStatus.PREPARING && executor.reattach(record, dir, runListener)) {
                track(id);
                return;
            }
            if (run == null && status == TaskStatus.PREPARING) {
                LOG.infof("task %s was being started when the service stopped; queued again", id);
                TaskRecord requeued = next(record).status(TaskStatus.QUEUED).phase(null).startedAt(null)
                        .statusMessage(null).build();
                if (saveAndPublish(requeued, TaskEvent.Kind.STATE_CHANGED)) {
                    queue.add(id, requeued.priority(), requeued.queueSeq());
                }
                return;
            }
            if (run != null && executor.name().equals(run.executor()) && executor.reattach(record, dir, runListener)) {
                track(id);
                return;
            }
            String detail = run == null || executor.name().equals(run.executor()) ? null
                    : "the task was started by the " + run.executor() + " executor, which is not active here";
            settle(id, null, detail);
        }
    }

    /** Follows the progress file of a re-adopted trainer, reading what it wrote so far at once. */
    private void track(String id) {
        Tracked t = new Tracked(new ProgressTracker(store.dir(id)));
        tracked.put(id, t);
        pollOne(id, t);
    }

    // ---------------------------------------------------------------- API

    /**
     * Creates a task owned by {@code owner} (the caller), queued behind the tasks of higher or equal priority.
     */
    public Task create(TaskRequest request, String owner) throws IOException {
        TrainingConfig config = request.trainingConfig();
        TrainingMethod method = request.methodOrDefault();
        if (config.loadIn8bit() && method != TrainingMethod.LORA) {
            throw ApiException.invalidField("load_in_8bit", "load_in_8bit works with method lora only (qlora is "
                    + "already 4-bit; full fine-tuning cannot train 8-bit weights)");
        }
        DatasetService.Source source = datasets.resolve(request.datasetFile());
        reserveQuota(owner);
        try {
            return create(request, owner, config, method, source);
        } finally {
            creating.computeIfPresent(String.valueOf(owner), (k, n) -> n <= 1 ? null : n - 1);
        }
    }

    /**
     * Counts a creation of {@code owner} against {@code max-queued-per-owner} (queued and running tasks plus
     * creations in progress); 429 {@code quota_exceeded} when it would go over.
     */
    private void reserveQuota(String owner) {
        String key = String.valueOf(owner);
        synchronized (creating) {
            long active = store.all().stream()
                    .filter(r -> key.equals(String.valueOf(r.owner())) && (r.status().waiting() || r.status().running()))
                    .count();
            int inFlight = creating.getOrDefault(key, 0);
            if (active + inFlight >= settings.maxQueuedPerOwner()) {
                throw new ApiException(429, "quota_exceeded", "'" + key + "' has " + (active + inFlight)
                        + " queued or running task(s); the limit is " + settings.maxQueuedPerOwner()
                        + " per owner (studio.finetune.max-queued-per-owner). Wait for one to finish or cancel one",
                        List.of(new QuotaDetail("studio.finetune.max-queued-per-owner", settings.maxQueuedPerOwner(),
                                active + inFlight)));
            }
            creating.merge(key, 1, Integer::sum);
        }
    }

    /** Details of a refused task quota: the limit's key and value, and the caller's queued + running tasks. */
    public record QuotaDetail(String limit, long max, long used) {
    }

    private Task create(TaskRequest request, String owner, TrainingConfig config, TrainingMethod method,
            DatasetService.Source source) throws IOException {
        List<TaskWarning> warnings = advisor.warningsFor(request);
        String id;
        try {
            id = reserveTaskId(request.suffix());
        } catch (IOException e) {
            throw StorageErrors.of(e, "the task", "no task was created");
        }
        Path staging = staging(id);
        try {
            datasets.materialize(source, staging.resolve(DatasetService.DATA_FILE));
            Path dir = store.dir(id);
            TaskRecord record = TaskRecord.builder()
                    .taskId(id)
                    .modelName(request.modelName())
                    .datasetPath(dir.resolve(DatasetService.DATA_FILE).toString())
                    .datasetSource(request.datasetFile())
                    .outputDir(dir.toString())
                    .status(TaskStatus.QUEUED)
                    .totalEpochs(config.numEpochs())
                    .createdAt(Instant.now())
                    .method(method)
                    .merge(request.mergeOrDefault())
                    .config(config)
                    .priority(request.priorityOrDefault())
                    .suffix(Ids.sanitizeSuffix(request.suffix()))
                    .owner(owner)
                    .warnings(warnings)
                    .executor(executor.name())
                    .queueSeq(queue.nextSeq())
                    .revision(1)
                    .build();
            AtomicFiles.writeJson(staging.resolve(JOB_FILE), jobSpec(record));
            store.write(staging, record);
            store.commit(staging, record);
            queue.add(id, record.priority(), record.queueSeq());
            publish(TaskEvent.Kind.CREATED, record);
            kick();
            return view(record);
        } catch (IOException e) {
            throw StorageErrors.of(e, "the task", "no task was created");
        } finally {
            TreeFiles.deleteQuietly(staging);
        }
    }

    public Task get(String taskId) {
        return view(require(taskId));
    }

    /** Every task, newest first. */
    public List<Task> list() {
        return views().stream().map(View::task).toList();
    }

    /**
     * {@link #list()} as JSON, assembled from each task's cached JSON: a finished task is serialised once per
     * change, not once per request, so listing a thousand tasks costs little more than copying bytes.
     */
    public byte[] listJson() {
        List<View> views = views();
        ByteArrayOutputStream out = new ByteArrayOutputStream(views.size() * 1200 + 2);
        out.write('[');
        for (int i = 0; i < views.size(); i++) {
            if (i > 0) {
                out.write(',');
            }
            out.writeBytes(views.get(i).json());
        }
        out.write(']');
        return out.toByteArray();
    }

    private List<View> views() {
        Map<String, Integer> positions = queue.positions();
        return store.all().stream()
                .sorted(Comparator.comparing(TaskRecord::createdAt, Comparator.nullsLast(Comparator.reverseOrder()))
                        .thenComparing(TaskRecord::taskId, Comparator.reverseOrder()))
                .map(r -> view(r, positions.get(r.taskId())))
                .toList();
    }

    /** Cancels a waiting task at once, or asks a running trainer to stop (cancelled once it has exited). */
    public Task cancel(String taskId) {
        synchronized (lock(taskId)) {
            TaskRecord record = require(taskId);
            if (record.status().terminal()) {
                throw ApiException.conflict("task_finished", "task " + taskId + " is already " + record.status().wire());
            }
            if (record.status().waiting()) {
                TaskRecord cancelled = next(record).status(TaskStatus.CANCELLED).completedAt(Instant.now())
                        .statusMessage(null).build();
                saveOrFail(cancelled);
                queue.remove(taskId);
                publish(TaskEvent.Kind.STATE_CHANGED, cancelled);
                return view(cancelled);
            }
            if (record.cancelRequested()) {
                executor.cancel(record);
                return view(record);
            }
            TaskRecord cancelling = next(record).cancelRequested(true)
                    .statusMessage("cancelling: the trainer was asked to checkpoint and stop").build();
            saveOrFail(cancelling);
            publish(TaskEvent.Kind.STATE_CHANGED, cancelling);
            executor.cancel(cancelling);
            return view(cancelling);
        }
    }

    /** Removes a finished task and its folder. */
    public void delete(String taskId) {
        synchronized (lock(taskId)) {
            TaskRecord record = require(taskId);
            if (!record.status().terminal()) {
                throw ApiException.conflict("task_active", "task " + taskId + " is " + record.status().wire()
                        + "; cancel it first");
            }
            Path trash;
            try {
                trash = store.remove(taskId);
            } catch (IOException e) {
                throw storageError(e);
            }
            logTail.forget(store.dir(taskId).resolve(LOG_FILE));
            publish(TaskEvent.Kind.DELETED, record);
            views.remove(taskId);
            TreeFiles.deleteQuietly(trash);
        }
        locks.remove(taskId);
    }

    /** The last {@code lines} lines of the task's {@code logs.txt}. */
    public String logTail(String taskId, int lines) {
        List<String> tail = LogTail.lastLines(taskDir(taskId).resolve(LOG_FILE), lines);
        return tail.isEmpty() ? "" : String.join("\n", tail) + "\n";
    }

    /**
     * The last lines of the log, then every line appended until the task is finished, then the end (also sent to
     * a reader that falls too far behind: see {@link LogEvent}).
     */
    public Multi<LogEvent> followLog(String taskId, int lines) {
        return logFollower.follow(taskDir(taskId).resolve(LOG_FILE), lines,
                () -> store.get(taskId).map(r -> r.status().terminal()).orElse(true));
    }

    public MetricsSeries.Series metrics(String taskId, int maxPoints) throws IOException {
        return MetricsSeries.read(taskId, taskDir(taskId), maxPoints);
    }

    /** A model folder to archive and the name of the archive's root folder. */
    public record Download(Path folder, String name) {
    }

    /** The {@code merged_model/} (default when there is one) or {@code lora/} folder of a completed task. */
    public Download download(String taskId, String artifact) {
        TaskRecord record = require(taskId);
        if (record.status() != TaskStatus.COMPLETED) {
            throw ApiException.conflict("task_not_completed", "task " + taskId + " is " + record.status().wire()
                    + "; only a completed task has a model to download");
        }
        if (artifact != null && !artifact.equals(Artifacts.LORA) && !artifact.equals(Artifacts.MERGED)) {
            throw ApiException.invalidField("artifact", "artifact must be lora or merged_model");
        }
        String kind = artifact != null ? artifact
                : record.artifacts().containsKey(Artifacts.MERGED) ? Artifacts.MERGED : Artifacts.LORA;
        String relative = record.artifacts().get(kind);
        Path folder = relative == null ? null : artifactFolder(taskId, kind, relative);
        if (folder == null) {
            throw ApiException.notFound("artifact_not_found", "task " + taskId + " has no " + kind + " artifact");
        }
        return new Download(folder, taskId + "-" + kind);
    }

    /**
     * The real path of an artifact folder when it is a folder strictly inside the task's real folder once every
     * link on the way is resolved (a lexical check would let {@code link/x} with {@code link -> ../../studio} out).
     */
    private Path artifactFolder(String taskId, String kind, String relative) {
        try {
            Path dir = store.dir(taskId).toRealPath();
            Path real = dir.resolve(relative).toRealPath();
            if (real.startsWith(dir) && !real.equals(dir) && Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS)) {
                return real;
            }
            LOG.warnf("task %s: its %s artifact leads outside the task folder; refused", taskId, kind);
            return null;
        } catch (IOException | InvalidPathException e) {
            return null;
        }
    }

    /** The folder of an existing task (404 otherwise). */
    public Path taskDir(String taskId) {
        return store.dir(require(taskId).taskId());
    }

    public TaskRecord record(String taskId) {
        return require(taskId);
    }

    /** The stored records of all tasks (no derived fields). */
    public Collection<TaskRecord> records() {
        return store.all();
    }

    /** Picks up task folders added or removed from outside since the last scan. */
    public void refresh() {
        rescan();
    }

    // ---------------------------------------------------------------- dispatch

    private void kick() {
        if (!closed) {
            dispatcher.execute(this::dispatch);
        }
    }

    private void dispatch() {
        while (!closed && executor.freeSlots() > 0) {
            String id = queue.head().orElse(null);
            if (id == null || !launch(id)) {
                return;
            }
        }
    }

    /** Starts the head of the queue; {@code false} when dispatching should pause (storage trouble). */
    private boolean launch(String id) {
        synchronized (lock(id)) {
            TaskRecord record = store.get(id).orElse(null);
            if (record == null || !record.status().waiting()) {
                queue.remove(id);
                return true;
            }
            TaskRecord preparing = next(record).status(TaskStatus.PREPARING).phase(null).startedAt(Instant.now())
                    .statusMessage(null).build();
            if (!saveAndPublish(preparing, TaskEvent.Kind.STATE_CHANGED)) {
                poller.schedule(this::kick, RETRY.toMillis(), TimeUnit.MILLISECONDS);
                return false;
            }
            queue.remove(id);
            Path dir = store.dir(id);
            Tracked t = new Tracked(new ProgressTracker(dir));
            tracked.put(id, t);
            try {
                RunHandle handle = executor.launch(preparing, dir, runListener);
                TaskRecord launched = preparing.toBuilder().run(handle).build();
                try {
                    store.save(launched);
                } catch (IOException e) {
                    LOG.errorf("task %s: trainer started but its handle could not be saved: %s", id, e.getMessage());
                }
            } catch (TaskExecutor.LaunchException e) {
                tracked.remove(id);
                TaskRecord failed = next(preparing).status(TaskStatus.FAILED).completedAt(Instant.now())
                        .errorCode("launch_failed").errorMessage(e.getMessage()).build();
                saveAndPublish(failed, TaskEvent.Kind.STATE_CHANGED);
            }
            return true;
        }
    }

    // ---------------------------------------------------------------- progress and outcome

    private void pollProgress() {
        for (Map.Entry<String, Tracked> entry : tracked.entrySet()) {
            try {
                pollOne(entry.getKey(), entry.getValue());
            } catch (RuntimeException e) {
                LOG.warnf(e, "reading the progress of %s failed", entry.getKey());
            }
        }
    }

    private void pollOne(String id, Tracked t) {
        synchronized (lock(id)) {
            if (tracked.get(id) != t) {
                return;
            }
            try {
                t.dirty |= t.tracker.poll();
            } catch (IOException e) {
                LOG.debugf("cannot read the progress of %s: %s", id, e.getMessage());
                return;
            }
            if (!t.dirty) {
                return;
            }
            TaskRecord record = store.get(id).orElse(null);
            if (record == null || !record.status().running()) {
                return;
            }
            TaskRecord updated = withProgress(record, t.tracker);
            boolean stateChange = updated.status() != record.status() || !Objects.equals(updated.phase(), record.phase());
            long now = System.nanoTime();
            if (!stateChange && now - t.lastFlushNanos < settings.progressInterval().toNanos()) {
                return;
            }
            if (sameProgress(record, updated)) {
                t.dirty = false;
                return;
            }
            TaskRecord next = updated.toBuilder().revision(record.revision() + 1).build();
            if (saveAndPublish(next, stateChange ? TaskEvent.Kind.STATE_CHANGED : TaskEvent.Kind.PROGRESS)) {
                t.lastFlushNanos = now;
                t.dirty = false;
            }
        }
    }

    /** The record with the tracker's live state folded in (status follows the trainer's phase). */
    private static TaskRecord withProgress(TaskRecord record, ProgressTracker p) {
        TaskRecord.Builder b = record.toBuilder();
        if (p.phase() != null) {
            b.phase(p.phase());
            if (record.status() == TaskStatus.PREPARING && p.phase().training()) {
                b.status(TaskStatus.TRAINING);
            }
            b.statusMessage(record.cancelRequested() ? record.statusMessage() : null);
        }
        if (p.totalSteps() > 0) {
            b.step(p.step()).totalSteps(p.totalSteps()).progress(p.percent());
            if (record.status() == TaskStatus.PREPARING) {
                b.status(TaskStatus.TRAINING);
            }
        }
        if (p.epoch() != null) {
            b.currentEpoch(p.epoch());
        }
        return b.loss(p.loss()).learningRate(p.learningRate()).etaSeconds(p.etaSeconds()).build();
    }

    private static boolean sameProgress(TaskRecord a, TaskRecord b) {
        return a.status() == b.status() && Objects.equals(a.phase(), b.phase()) && a.step() == b.step()
                && a.totalSteps() == b.totalSteps() && a.currentEpoch() == b.currentEpoch()
                && Objects.equals(a.loss(), b.loss()) && Objects.equals(a.learningRate(), b.learningRate())
                && Objects.equals(a.etaSeconds(), b.etaSeconds()) && Objects.equals(a.statusMessage(), b.statusMessage());
    }

    /** Gives a task whose trainer has ended its outcome (read the rest of its progress file first). */
    private void settle(String id, Integer exitCode, String detail) {
        synchronized (lock(id)) {
            TaskRecord record = store.get(id).orElse(null);
            if (record == null || !record.status().running()) {
                tracked.remove(id);
                return;
            }
            Path dir = store.dir(id);
            Tracked t = tracked.get(id);
            ProgressTracker tracker = t != null ? t.tracker : new ProgressTracker(dir);
            try {
                tracker.poll();
            } catch (IOException e) {
                LOG.warnf("cannot read the progress of %s: %s", id, e.getMessage());
            }
            Outcome outcome = Outcome.decide(record.cancelRequested(), exitCode, detail, tracker.errorCode(),
                    tracker.errorMessage(), tracker.done(), LogTail.lastLines(dir.resolve(LOG_FILE), 5));
            TaskRecord.Builder b = withProgress(record, tracker).toBuilder()
                    .revision(record.revision() + 1)
                    .status(outcome.status())
                    .errorCode(outcome.errorCode())
                    .errorMessage(outcome.errorMessage())
                    .statusMessage(null)
                    .completedAt(Instant.now())
                    .etaSeconds(null);
            if (outcome.status() == TaskStatus.COMPLETED) {
                b.progress(100).etaSeconds(0L).artifacts(artifacts(dir, tracker));
            }
            TaskRecord finished = b.build();
            if (saveAndPublish(finished, TaskEvent.Kind.STATE_CHANGED)) {
                tracked.remove(id);
            } else if (!closed) {
                poller.schedule(() -> settle(id, exitCode, detail), RETRY.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    /** The artifacts the trainer reported that exist, plus artifact folders it left without reporting. */
    private static Map<String, String> artifacts(Path dir, ProgressTracker tracker) {
        Map<String, String> found = new LinkedHashMap<>();
        tracker.artifacts().forEach((kind, path) -> {
            String relative = Artifacts.relative(dir, path);
            if (Files.exists(dir.resolve(relative))) {
                found.put(kind, relative);
            }
        });
        Artifacts.onDisk(dir).forEach(found::putIfAbsent);
        return found;
    }

    /** What executors report, routed to the task's lock. */
    private final class ExecutorEvents implements RunListener {

        @Override
        public void exited(String taskId, Integer exitCode, String detail) {
            if (closed) {
                return;
            }
            try {
                poller.execute(() -> {
                    settle(taskId, exitCode, detail);
                    kick();
                });
            } catch (RejectedExecutionException e) {
                LOG.debugf("service stopping; %s is settled at the next start", taskId);
            }
        }

        @Override
        public void waiting(String taskId, TrainerPhase phase, String message) {
            if (closed) {
                return;
            }
            synchronized (lock(taskId)) {
                TaskRecord record = store.get(taskId).orElse(null);
                if (record == null || record.status() != TaskStatus.PREPARING || record.cancelRequested()
                        || (Objects.equals(phase, record.phase()) && Objects.equals(message, record.statusMessage()))) {
                    return;
                }
                saveAndPublish(next(record).phase(phase).statusMessage(message).build(), TaskEvent.Kind.STATE_CHANGED);
            }
        }
    }

    // ---------------------------------------------------------------- folder rescan

    private void rescan() {
        try {
            TaskStore.Changes changes = store.rescan();
            for (TaskRecord added : changes.added()) {
                LOG.infof("task folder %s appeared; listed", added.taskId());
                queue.observeSeq(added.queueSeq());
                recover(added);
                publish(TaskEvent.Kind.CREATED, store.get(added.taskId()).orElse(added));
            }
            for (TaskRecord removed : changes.removed()) {
                publish(TaskEvent.Kind.DELETED, removed);
                views.remove(removed.taskId());
            }
            if (!changes.added().isEmpty()) {
                kick();
            }
        } catch (IOException | RuntimeException e) {
            LOG.warnf("rescanning %s failed: %s", store.root(), e.getMessage());
        }
    }

    // ---------------------------------------------------------------- helpers

    /** A task as shown, with its JSON; reused while the record, queue position and log tail stay the same. */
    private record View(TaskRecord record, Integer position, String logs, Task task, byte[] json) {
    }

    private Task view(TaskRecord record) {
        return view(record, queue.position(record.taskId())).task();
    }

    /**
     * The cached view of a record. A finished task's log no longer grows, so its view is reused without even
     * looking at the log file; other tasks re-read their log tail (itself cached by size and modification time).
     */
    private View view(TaskRecord record, Integer position) {
        View cached = views.get(record.taskId());
        boolean same = cached != null && cached.record() == record && Objects.equals(cached.position(), position);
        if (same && record.status().terminal()) {
            return cached;
        }
        Path dir = store.dir(record.taskId());
        String logs = logTail.tail(dir.resolve(LOG_FILE), settings.logsTailLines());
        if (same && cached.logs().equals(logs)) {
            return cached;
        }
        Task task = Task.of(record, dir, position, logs);
        byte[] json;
        try {
            json = StudioJson.mapper().writeValueAsBytes(task);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise task " + record.taskId(), e);
        }
        View view = new View(record, position, logs, task, json);
        views.put(record.taskId(), view);
        return view;
    }

    private TaskRecord require(String taskId) {
        return store.get(taskId).orElseThrow(() -> ApiException.notFound("task_not_found", "no task " + taskId));
    }

    private Object lock(String taskId) {
        return locks.computeIfAbsent(taskId, k -> new Object());
    }

    private static TaskRecord.Builder next(TaskRecord record) {
        return record.toBuilder().revision(record.revision() + 1);
    }

    /** Saves and publishes; on a storage failure logs it and returns {@code false} (memory keeps the old state). */
    private boolean saveAndPublish(TaskRecord record, TaskEvent.Kind kind) {
        try {
            store.save(record);
        } catch (IOException e) {
            LOG.errorf("task %s: cannot write %s (%s); the previous state stays", record.taskId(), TaskStore.META_FILE,
                    e.getMessage());
            return false;
        }
        publish(kind, record);
        return true;
    }

    /** Saves for an API call; a storage failure becomes a 5xx and nothing changes. */
    private void saveOrFail(TaskRecord record) {
        try {
            store.save(record);
        } catch (IOException e) {
            throw storageError(e);
        }
    }

    private static ApiException storageError(IOException e) {
        boolean full = String.valueOf(e.getMessage()).contains("No space left");
        return new ApiException(full ? 507 : 500, "storage_error", "cannot write the task's files ("
                + e.getMessage() + "); the task is unchanged");
    }

    private void publish(TaskEvent.Kind kind, TaskRecord record) {
        Task task = view(record);
        for (TaskListener listener : listeners) {
            try {
                listener.changed(kind, task, record.revision());
            } catch (RuntimeException e) {
                LOG.warnf(e, "a task listener failed for %s", record.taskId());
            }
        }
    }

    /** A new task id whose staging folder this call created (exclusively, so two creations never share an id). */
    private String reserveTaskId(String suffix) throws IOException {
        Files.createDirectories(store.root());
        while (true) {
            String id = Ids.newId("ft", suffix);
            if (store.get(id).isPresent() || Files.exists(store.dir(id))) {
                continue;
            }
            try {
                Files.createDirectory(staging(id));
                return id;
            } catch (FileAlreadyExistsException e) {
                LOG.debugf("task id %s taken; drawing another", id);
            }
        }
    }

    private Path staging(String id) {
        return store.root().resolve(".creating-" + id);
    }

    /** {@code job.json} (SPEC §5); paths relative to the task directory so it works on any mount of it. */
    static Map<String, Object> jobSpec(TaskRecord record) {
        Map<String, Object> job = new LinkedHashMap<>();
        job.put("task_id", record.taskId());
        job.put("base_model", record.modelName());
        job.put("dataset_path", DatasetService.DATA_FILE);
        job.put("output_dir", ".");
        job.put("method", record.method());
        job.put("hyperparameters", record.config().trainerHyperparameters());
        job.put("merge", record.merge());
        job.put("resume_from", null);
        return job;
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread thread = new Thread(r, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
