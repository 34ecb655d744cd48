package io.sage.studio.finetune.task;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jboss.logging.Logger;

import io.sage.studio.common.error.ErrorKind;
import io.sage.studio.common.error.FieldError;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.common.tracing.Tracing;
import io.sage.studio.events.TaskEvent;
import io.sage.studio.finetune.FinetuneError;
import io.sage.studio.finetune.dataset.DatasetService;
import io.sage.studio.finetune.dataset.ValidationSplit;
import io.sage.studio.finetune.domain.Ids;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TaskRequest;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.domain.TaskWarning;
import io.sage.studio.finetune.domain.TrainingConfig;
import io.sage.studio.finetune.domain.TrainingMethod;
import io.sage.studio.finetune.executor.TaskExecutor;
import io.sage.studio.finetune.progress.TrainerLogTail;
import io.sage.studio.finetune.queue.TaskQueue;
import io.sage.studio.finetune.storage.StorageErrors;
import io.sage.studio.finetune.storage.TreeFiles;

/**
 * What callers do to tasks: create or clone (all or nothing, within the owner's quota), cancel, pause, resume, retry,
 * delete, and look a task up.
 * Each change goes through {@link TaskChanges} (file first, then the listeners) under the task's lock.
 */
public final class TaskLifecycle {

    private static final Logger LOG = Logger.getLogger(TaskLifecycle.class);
    static final String JOB_FILE = "job.json";

    private final TaskChanges changes;
    private final TaskQueue queue;
    private final TaskExecutor executor;
    private final DatasetService datasets;
    private final WarningsProvider advisor;
    private final TaskDispatcher dispatcher;
    private final TaskRecovery recovery;
    private final MergeRuns merges;
    private final NextAttempts attempts;
    private final int maxQueuedPerOwner;
    /** Creations in progress per owner (counted by the task quota); guarded by itself. */
    private final Map<String, Integer> creating = new ConcurrentHashMap<>();

    TaskLifecycle(
            TaskChanges changes,
            TaskQueue queue,
            TaskExecutor executor,
            DatasetService datasets,
            WarningsProvider advisor,
            TaskDispatcher dispatcher,
            TaskRecovery recovery,
            MergeRuns merges,
            NextAttempts attempts,
            int maxQueuedPerOwner) {
        this.changes = changes;
        this.queue = queue;
        this.executor = executor;
        this.datasets = datasets;
        this.advisor = advisor;
        this.dispatcher = dispatcher;
        this.recovery = recovery;
        this.merges = merges;
        this.attempts = attempts;
        this.maxQueuedPerOwner = maxQueuedPerOwner;
    }

    /**
     * Creates a task owned by {@code owner} (the caller), queued behind the tasks of higher or equal priority.
     */
    public Task create(TaskRequest request, String owner) throws IOException {
        return create(request, owner, null);
    }

    /**
     * Creates a task from {@code request} (the source task's settings with the caller's overrides, validated like a
     * create) that records {@code cloned_from}; it trains on the source task's own copy of its dataset unless the
     * overrides name another {@code dataset_file} ({@code ownDataset} false).
     */
    public Task clone(String sourceId, TaskRequest request, boolean ownDataset, String owner) throws IOException {
        TaskRecord source = record(sourceId);
        return create(request, owner, new Clone(source.taskId(), ownDataset));
    }

    /** The source task's own {@code dataset.jsonl} (a real file, never a link), for its clone. */
    private DatasetService.Source ownDataset(String sourceId) {
        Path data = taskDir(sourceId).resolve(DatasetService.DATA_FILE);
        if (!Files.isRegularFile(data, LinkOption.NOFOLLOW_LINKS)) {
            throw new StudioException(
                    FinetuneError.DATASET_NOT_FOUND,
                    ErrorKind.INVALID,
                    "task " + sourceId + " has no " + DatasetService.DATA_FILE
                            + " of its own; name the data to train on in dataset_file",
                    List.of(new FieldError("dataset_file", "the source task has no dataset")),
                    null);
        }
        return new DatasetService.Source(data, true);
    }

    /** What a clone takes from its source task. */
    private record Clone(String sourceId, boolean ownDataset) {}

    /**
     * Where a task's validation rows come from: {@code file} (a {@code validation_file}, or the source task's own
     * {@code validation.jsonl} for a clone that keeps it), or {@code split} of the dataset; neither: no validation set,
     * and {@link ValidationSplit#HELD_OUT_SHARE} of the dataset is held out for evaluations instead. {@code putBack}:
     * the rows a clone's source kept out of its {@code dataset.jsonl} (its split validation rows or its held-out rows),
     * which the clone's dataset gets back before it is split or held out again, so the same seed holds out the same
     * rows and no row is lost; {@code null} otherwise.
     */
    private record Validation(DatasetService.Source file, Double split, Path putBack) {}

    private Validation validation(TrainingConfig config, Clone clone) {
        Path sourceValidation = null;
        Path putBack = null;
        TrainingConfig sourceConfig = null;
        if (clone != null && clone.ownDataset()) {
            Path dir = taskDir(clone.sourceId());
            sourceValidation = regularFile(dir.resolve(ValidationSplit.FILE));
            sourceConfig = record(clone.sourceId()).config();
            putBack = sourceConfig.validationSplit() != null
                    ? sourceValidation
                    : regularFile(dir.resolve(ValidationSplit.HELD_OUT_FILE));
        }
        if (config.validationSplit() != null || config.validationFile() == null) {
            return new Validation(null, config.validationSplit(), putBack);
        }
        if (sourceConfig != null
                && sourceValidation != null
                && config.validationFile().equals(sourceConfig.validationFile())) {
            return new Validation(new DatasetService.Source(sourceValidation, true), null, null);
        }
        return new Validation(datasets.resolve(config.validationFile(), "validation_file"), null, putBack);
    }

    private static Path regularFile(Path file) {
        return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) ? file : null;
    }

    private Task create(TaskRequest request, String owner, Clone clone) throws IOException {
        request.checkValidation();
        TrainingConfig config = request.trainingConfig();
        TrainingMethod method = request.methodOrDefault();
        if (config.loadIn8bit() && method != TrainingMethod.LORA) {
            throw StudioException.invalidField(
                    "load_in_8bit",
                    "load_in_8bit works with method lora only (qlora is "
                            + "already 4-bit; full fine-tuning cannot train 8-bit weights)");
        }
        DatasetService.Source source = clone != null && clone.ownDataset()
                ? ownDataset(clone.sourceId())
                : datasets.resolve(request.datasetFile());
        Validation validation = validation(config, clone);
        reserveQuota(owner);
        try {
            return create(request, owner, config, method, source, validation, clone == null ? null : clone.sourceId());
        } finally {
            creating.computeIfPresent(String.valueOf(owner), (k, n) -> n <= 1 ? null : n - 1);
        }
    }

    /**
     * Counts a creation of {@code owner} against {@code max-queued-per-owner} (queued and running tasks plus
     * creations in progress); {@code quota_exceeded} when it would go over.
     */
    private void reserveQuota(String owner) {
        String key = String.valueOf(owner);
        synchronized (creating) {
            checkQuota(key, creating.getOrDefault(key, 0));
            creating.merge(key, 1, Integer::sum);
        }
    }

    /** {@code quota_exceeded} when one more queued task of {@code key} would go over the limit. */
    private void checkQuota(String key, int inFlight) {
        synchronized (creating) {
            long active = changes.store().all().stream()
                    .filter(r -> key.equals(String.valueOf(r.owner()))
                            && (r.status().waiting() || r.status().running()))
                    .count();
            if (active + inFlight >= maxQueuedPerOwner) {
                throw new StudioException(
                        FinetuneError.QUOTA_EXCEEDED,
                        "'" + key + "' has " + (active + inFlight)
                                + " queued or running task(s); the limit is " + maxQueuedPerOwner
                                + " per owner (studio.finetune.max-queued-per-owner). Wait for one to finish or cancel one",
                        List.of(new QuotaDetail(
                                "studio.finetune.max-queued-per-owner", maxQueuedPerOwner, active + inFlight)));
            }
        }
    }

    /** Details of a refused task quota: the limit's key and value, and the caller's queued + running tasks. */
    public record QuotaDetail(String limit, long max, long used) {}

    private Task create(
            TaskRequest request,
            String owner,
            TrainingConfig config,
            TrainingMethod method,
            DatasetService.Source source,
            Validation validation,
            String clonedFrom)
            throws IOException {
        List<TaskWarning> warnings = advisor.warningsFor(request);
        TaskStore store = changes.store();
        String id;
        try {
            id = reserveTaskId(request.suffix());
        } catch (IOException e) {
            throw StorageErrors.of(e, "the task", "no task was created");
        }
        Path staging = staging(id);
        try {
            Path data = staging.resolve(DatasetService.DATA_FILE);
            datasets.materialize(source, data);
            List<Path> rows = validation.putBack() == null ? List.of(data) : List.of(data, validation.putBack());
            if (validation.split() != null) {
                ValidationSplit.split(
                        rows, data, staging.resolve(ValidationSplit.FILE), validation.split(), config.seedOrDefault());
            } else if (validation.file() != null) {
                datasets.materialize(validation.file(), staging.resolve(ValidationSplit.FILE));
                if (validation.putBack() != null) {
                    ValidationSplit.join(rows, data);
                }
            } else {
                ValidationSplit.holdOut(
                        rows, data, staging.resolve(ValidationSplit.HELD_OUT_FILE), config.seedOrDefault());
            }
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
                    .clonedFrom(clonedFrom)
                    .traceparent(Tracing.currentTraceparent())
                    .tracestate(Tracing.currentTracestate())
                    .build();
            AtomicFiles.writeJson(staging.resolve(JOB_FILE), attempts.jobSpec(record, staging, null));
            store.write(staging, record);
            store.commit(staging, record);
            queue.add(id, record.priority(), record.queueSeq());
            changes.publish(TaskEvent.Kind.CREATED, record);
            dispatcher.kick();
            return changes.views().view(record);
        } catch (IOException e) {
            throw StorageErrors.of(e, "the task", "no task was created");
        } finally {
            TreeFiles.deleteQuietly(staging);
        }
    }

    /**
     * Cancels a waiting or paused task at once, or asks a running trainer to stop (cancelled once it has exited); of a completed
     * task with a merge queued or running, cancels the merge only.
     */
    public Task cancel(String taskId) {
        synchronized (changes.lock(taskId)) {
            TaskRecord record = record(taskId);
            if (record.mergeRun() != null && record.mergeRun().active()) {
                return merges.cancel(record);
            }
            if (record.status().terminal()) {
                throw new StudioException(
                        FinetuneError.TASK_FINISHED,
                        "task " + taskId + " is already " + record.status().wire());
            }
            if (record.status().waiting() || record.status() == TaskStatus.PAUSED) {
                TaskRecord cancelled = TaskTransitions.cancelled(record, Instant.now());
                changes.saveOrFail(cancelled);
                queue.remove(taskId);
                changes.publish(TaskEvent.Kind.STATE_CHANGED, cancelled);
                return changes.views().view(cancelled);
            }
            if (record.cancelRequested()) {
                executor.cancel(record);
                return changes.views().view(record);
            }
            TaskRecord cancelling = TaskTransitions.cancelling(record);
            changes.saveOrFail(cancelling);
            changes.publish(TaskEvent.Kind.STATE_CHANGED, cancelling);
            executor.cancel(cancelling);
            return changes.views().view(cancelling);
        }
    }

    /**
     * Queues the merge of a completed LoRA/QLoRA task's adapter into {@code merged_model/} ({@link MergeRuns}); the
     * caller has checked that {@code requestedBy} may change the task.
     *
     * @param force merge again although the task has {@code merged_model/}
     */
    public Task merge(String taskId, String requestedBy, boolean force) {
        return merges.request(taskId, requestedBy, force);
    }

    /**
     * Runs a failed or cancelled task again under the same id: a new attempt, queued behind the tasks of higher or
     * equal priority and counted by the owner's quota. With {@code fromCheckpoint} and a checkpoint of the trainer in
     * the task folder, the trainer resumes from the latest one ({@code resume_from} in {@code job.json}) and the
     * progress continues at its step; otherwise it starts from zero. The caller has checked that it may change the
     * task.
     */
    public Task retry(String taskId, boolean fromCheckpoint) {
        synchronized (changes.lock(taskId)) {
            TaskRecord record = record(taskId);
            if (record.status() != TaskStatus.FAILED && record.status() != TaskStatus.CANCELLED) {
                throw new StudioException(
                        FinetuneError.TASK_NOT_RETRYABLE,
                        "task " + taskId + " is " + record.status().wire()
                                + "; only a failed or cancelled task can be retried"
                                + (record.status() == TaskStatus.COMPLETED
                                        ? " (clone it to train again with the same settings)"
                                        : record.status() == TaskStatus.PAUSED ? " (resume it)" : ""));
            }
            checkQuota(String.valueOf(record.owner()), 0);
            TaskRecord retried = attempts.start(record, fromCheckpoint, "retry", null);
            return changes.views().view(retried);
        }
    }

    /**
     * Pauses a task: a waiting one leaves the queue at once; a running trainer is asked to checkpoint and stop (the
     * cancel's SIGTERM path) and the task is {@code paused} once it has exited. A paused task holds no slot and no
     * queue place; {@link #resume} continues it from its latest checkpoint. The caller has checked that it may change
     * the task.
     */
    public Task pause(String taskId) {
        synchronized (changes.lock(taskId)) {
            TaskRecord record = record(taskId);
            if (record.status() == TaskStatus.PAUSED) {
                return changes.views().view(record);
            }
            if (record.status().terminal() || record.cancelRequested()) {
                throw new StudioException(
                        FinetuneError.TASK_NOT_PAUSABLE,
                        "task " + taskId + " is "
                                + (record.cancelRequested()
                                        ? "being cancelled"
                                        : record.status().wire())
                                + "; only a queued or running task can be paused");
            }
            if (record.status().waiting()) {
                TaskRecord paused = TaskTransitions.pausedWhileWaiting(record);
                changes.saveOrFail(paused);
                queue.remove(taskId);
                changes.publish(TaskEvent.Kind.STATE_CHANGED, paused);
                return changes.views().view(paused);
            }
            if (record.pauseRequested()) {
                executor.cancel(record);
                return changes.views().view(record);
            }
            TaskRecord pausing = TaskTransitions.pausing(record);
            changes.saveOrFail(pausing);
            changes.publish(TaskEvent.Kind.STATE_CHANGED, pausing);
            executor.cancel(pausing);
            return changes.views().view(pausing);
        }
    }

    /**
     * Queues a paused task again, counted by the owner's quota: a task paused while it waited goes back as the same
     * attempt; one whose trainer ran starts its next attempt from the latest checkpoint ({@code resume_from}), the
     * progress continuing at the checkpoint's step. The caller has checked that it may change the task.
     */
    public Task resume(String taskId) {
        synchronized (changes.lock(taskId)) {
            TaskRecord record = record(taskId);
            if (record.status() != TaskStatus.PAUSED) {
                throw new StudioException(
                        FinetuneError.TASK_NOT_PAUSED,
                        "task " + taskId + " is " + record.status().wire() + "; only a paused task can be resumed"
                                + (record.status() == TaskStatus.FAILED || record.status() == TaskStatus.CANCELLED
                                        ? " (retry it)"
                                        : ""));
            }
            checkQuota(String.valueOf(record.owner()), 0);
            if (record.startedAt() == null) {
                TaskRecord queued = TaskTransitions.unpaused(record, queue.nextSeq());
                changes.saveOrFail(queued);
                queue.add(taskId, queued.priority(), queued.queueSeq());
                changes.publish(TaskEvent.Kind.STATE_CHANGED, queued);
                dispatcher.kick();
                return changes.views().view(queued);
            }
            return changes.views().view(attempts.start(record, true, "resume after a pause", null));
        }
    }

    /** Removes a finished task and its folder. */
    public void delete(String taskId) {
        synchronized (changes.lock(taskId)) {
            TaskRecord record = record(taskId);
            if (!record.status().terminal()) {
                throw new StudioException(
                        FinetuneError.TASK_ACTIVE,
                        "task " + taskId + " is " + record.status().wire() + "; cancel it first");
            }
            if (record.mergeRun() != null && record.mergeRun().active()) {
                throw new StudioException(
                        FinetuneError.TASK_ACTIVE,
                        "the merge of task " + taskId + " is "
                                + record.mergeRun().state().wire() + "; cancel it first");
            }
            Path trash;
            try {
                trash = changes.store().remove(taskId);
            } catch (IOException e) {
                throw TaskChanges.storageError(e);
            }
            changes.publish(TaskEvent.Kind.DELETED, record);
            changes.views().forget(taskId);
            TreeFiles.deleteQuietly(trash);
        }
        changes.forgetLock(taskId);
    }

    /** The stored record of a task ({@code task_not_found} when there is none). */
    public TaskRecord record(String taskId) {
        return changes.store().require(taskId);
    }

    /** The folder of an existing task ({@code task_not_found} otherwise). */
    public Path taskDir(String taskId) {
        return changes.store().dir(record(taskId).taskId());
    }

    /** The {@code logs.txt} of an existing task ({@code task_not_found} otherwise). */
    public Path logFile(String taskId) {
        return taskDir(taskId).resolve(TrainerLogTail.FILE);
    }

    /** Whether a task writes nothing more (for now): it has finished or is paused, or it is gone. */
    public boolean finished(String taskId) {
        return changes.store().get(taskId).map(r -> r.status().idle()).orElse(true);
    }

    /** The stored records of all tasks (no derived fields). */
    public Collection<TaskRecord> records() {
        return changes.store().all();
    }

    /** Picks up task folders added or removed from outside since the last scan. */
    public void refresh() {
        recovery.rescan();
    }

    /** A new task id whose staging folder this call created (exclusively, so two creations never share an id). */
    private String reserveTaskId(String suffix) throws IOException {
        TaskStore store = changes.store();
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
        return changes.store().root().resolve(".creating-" + id);
    }
}
