package io.sage.studio.finetune.task;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;

import org.jboss.logging.Logger;

import io.sage.studio.common.error.StudioException;
import io.sage.studio.events.TaskEvent;
import io.sage.studio.finetune.FinetuneError;
import io.sage.studio.finetune.artifact.Artifacts;
import io.sage.studio.finetune.domain.MergeRun;
import io.sage.studio.finetune.domain.MergeState;
import io.sage.studio.finetune.domain.RunHandle;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.domain.TrainingMethod;
import io.sage.studio.finetune.executor.RunKind;
import io.sage.studio.finetune.executor.TaskExecutor;
import io.sage.studio.finetune.progress.ProgressTracker;
import io.sage.studio.finetune.progress.TrainerLogTail;

/**
 * Merges of completed LoRA/QLoRA tasks' adapters into {@code merged_model/} ({@code POST …/tasks/{id}/merge}): the
 * trainer's {@code merge} subcommand, run by the same executor as training ({@link RunKind#MERGE}) and holding a slot
 * like a training does (a merge loads the base model on the GPU). At most one merge per task; queued merges start
 * before queued trainings when a slot frees (they are short, and the user waits on them). The task keeps its status
 * ({@code completed}); its {@code merge_run} tells the merge's state, its phase is {@code merging} while one runs, and
 * a successful merge adds {@code merged_model} to its artifacts. The outcome is read from the records the merge
 * appends to {@code progress.jsonl} (after the offset it was launched at) and its exit, as for training
 * ({@link RunOutcome}). See {@code DESIGN.md} (Merge).
 */
final class MergeRuns {

    private static final Logger LOG = Logger.getLogger(MergeRuns.class);

    private final TaskChanges changes;
    private final TaskExecutor executor;
    private final Runnable dispatch;
    /** Tasks whose merge waits for a slot, oldest first (at most one entry per task); guarded by itself. */
    private final Set<String> queued = new LinkedHashSet<>();

    private final RunEvents listener;

    /**
     * @param poller   the thread that settles ended merges
     * @param dispatch starts queued work (after a merge was asked for, or ended and freed its slot)
     */
    MergeRuns(TaskChanges changes, TaskExecutor executor, ScheduledExecutorService poller, Runnable dispatch) {
        this.changes = changes;
        this.executor = executor;
        this.dispatch = dispatch;
        this.listener = new RunEvents(
                changes,
                poller,
                "merge",
                this::settle,
                dispatch,
                (record, phase, message) -> TaskTransitions.mergeWaiting(record, message));
    }

    /**
     * Queues the merge of a completed task's adapter.
     *
     * @param force merge again although {@code merged_model} exists (it is replaced only once the new one is complete)
     */
    Task request(String taskId, String requestedBy, boolean force) {
        synchronized (changes.lock(taskId)) {
            TaskRecord record = changes.store().require(taskId);
            if (record.status() != TaskStatus.COMPLETED) {
                throw new StudioException(
                        FinetuneError.TASK_NOT_COMPLETED,
                        "task " + taskId + " is " + record.status().wire() + "; only a completed task can be merged");
            }
            if (record.mergeRun() != null && record.mergeRun().active()) {
                throw new StudioException(
                        FinetuneError.MERGE_IN_PROGRESS,
                        "the merge of task " + taskId + " is already "
                                + record.mergeRun().state().wire());
            }
            if (record.method() == TrainingMethod.FULL) {
                throw new StudioException(
                        FinetuneError.NOTHING_TO_MERGE,
                        "task " + taskId + " is a full fine-tune: its output is the whole model, there is no "
                                + "adapter to merge");
            }
            Path dir = changes.store().dir(taskId);
            if (!record.artifacts().containsKey(Artifacts.LORA)
                    || !Files.isRegularFile(
                            dir.resolve(Artifacts.LORA).resolve("adapter_config.json"), LinkOption.NOFOLLOW_LINKS)) {
                throw new StudioException(
                        FinetuneError.NOTHING_TO_MERGE,
                        "task " + taskId + " has no LoRA adapter to merge (lora/adapter_config.json)");
            }
            if (record.artifacts().containsKey(Artifacts.MERGED) && !force) {
                throw new StudioException(
                        FinetuneError.ALREADY_MERGED,
                        "task " + taskId + " already has merged_model/; pass force=true to merge again (the "
                                + "current one is replaced only when the new one is complete)");
            }
            TaskRecord next = TaskTransitions.mergeQueued(record, requestedBy, Instant.now());
            changes.saveOrFail(next);
            synchronized (queued) {
                queued.add(taskId);
            }
            changes.publish(TaskEvent.Kind.STATE_CHANGED, next);
            dispatch.run();
            return changes.views().view(next);
        }
    }

    /** Whether a merge waits for a slot (the dispatcher starts it before queued trainings). */
    boolean hasQueued() {
        synchronized (queued) {
            return !queued.isEmpty();
        }
    }

    /**
     * Launches the oldest queued merge (on the dispatcher thread, while the executor has a free slot); {@code false}
     * when dispatching should pause (storage trouble).
     */
    boolean launchNext() {
        String id;
        synchronized (queued) {
            if (queued.isEmpty()) {
                return true;
            }
            id = queued.iterator().next();
            queued.remove(id);
        }
        synchronized (changes.lock(id)) {
            TaskRecord record = changes.store().get(id).orElse(null);
            if (record == null || record.mergeRun() == null || record.mergeRun().state() != MergeState.QUEUED) {
                return true;
            }
            Path dir = changes.store().dir(id);
            TaskRecord launching = TaskTransitions.mergeLaunching(record, ProgressTracker.length(dir), Instant.now());
            if (!changes.saveAndPublish(launching, TaskEvent.Kind.STATE_CHANGED)) {
                synchronized (queued) {
                    queued.add(id);
                }
                return false;
            }
            try {
                RunHandle handle = executor.launch(launching, dir, RunKind.MERGE, listener);
                try {
                    changes.store().save(TaskTransitions.mergeLaunched(launching, handle));
                } catch (IOException e) {
                    LOG.errorf("task %s: merge started but its handle could not be saved: %s", id, e.getMessage());
                }
            } catch (TaskExecutor.LaunchException e) {
                changes.saveAndPublish(
                        TaskTransitions.mergeEnded(
                                launching,
                                MergeState.FAILED,
                                "launch_failed",
                                e.getMessage(),
                                launching.artifacts(),
                                Instant.now()),
                        TaskEvent.Kind.STATE_CHANGED);
            }
            return true;
        }
    }

    /**
     * Cancels a task's merge: a queued one at once, a running one by stopping its process or Job (cancelled once it
     * has ended). The task's training outcome is untouched.
     */
    Task cancel(TaskRecord record) {
        String id = record.taskId();
        MergeRun merge = record.mergeRun();
        if (merge.state() == MergeState.QUEUED) {
            synchronized (queued) {
                queued.remove(id);
            }
            TaskRecord cancelled = TaskTransitions.mergeEnded(
                    record, MergeState.CANCELLED, null, null, record.artifacts(), Instant.now());
            changes.saveOrFail(cancelled);
            changes.publish(TaskEvent.Kind.STATE_CHANGED, cancelled);
            return changes.views().view(cancelled);
        }
        if (merge.cancelRequested()) {
            executor.cancel(record, RunKind.MERGE);
            return changes.views().view(record);
        }
        TaskRecord cancelling = TaskTransitions.mergeCancelling(record);
        changes.saveOrFail(cancelling);
        changes.publish(TaskEvent.Kind.STATE_CHANGED, cancelling);
        executor.cancel(cancelling, RunKind.MERGE);
        return changes.views().view(cancelling);
    }

    /**
     * After a restart or a rescan (under the task's lock): a queued merge is queued again; a running one is
     * re-adopted when the executor finds the very process or Job this install launched, and otherwise settled from
     * what it wrote (done → succeeded when {@code merged_model/} is complete, an error record → failed, nothing →
     * failed with the reason): never left running.
     */
    void recover(TaskRecord record) {
        MergeRun merge = record.mergeRun();
        if (merge == null || !merge.active()) {
            return;
        }
        String id = record.taskId();
        if (merge.state() == MergeState.QUEUED) {
            synchronized (queued) {
                queued.add(id);
            }
            return;
        }
        Path dir = changes.store().dir(id);
        RunHandle run = merge.run();
        boolean sameExecutor = run == null || executor.name().equals(run.executor());
        if (sameExecutor && executor.reattach(record, run, dir, RunKind.MERGE, listener)) {
            LOG.infof("task %s: its merge was re-adopted", id);
            return;
        }
        String detail;
        if (!sameExecutor) {
            detail = "the merge was started by the " + run.executor() + " executor, which is not active here";
        } else if (run == null) {
            detail = "the service stopped while the merge was being started; merge again";
        } else {
            detail = "the merge ended while the service was not watching it and reported no outcome";
        }
        settle(id, null, detail);
    }

    /** Gives an ended merge its outcome; retried while the task file cannot be written. */
    void settle(String id, Integer exitCode, String detail) {
        synchronized (changes.lock(id)) {
            TaskRecord record = changes.store().get(id).orElse(null);
            if (record == null || record.mergeRun() == null || record.mergeRun().state() != MergeState.RUNNING) {
                return;
            }
            Path dir = changes.store().dir(id);
            ProgressTracker tracker = new ProgressTracker(dir, record.mergeRun().progressOffset());
            try {
                tracker.poll();
            } catch (IOException e) {
                LOG.warnf("cannot read the merge progress of %s: %s", id, e.getMessage());
            }
            RunOutcome outcome = RunOutcome.decide(
                    record.mergeRun().cancelRequested(),
                    exitCode,
                    detail,
                    tracker.errorCode(),
                    tracker.errorMessage(),
                    tracker.done(),
                    TrainerLogTail.lastLines(dir.resolve(RunKind.MERGE.logFile()), 5));
            Map<String, String> artifacts = new LinkedHashMap<>(record.artifacts());
            TaskRecord ended;
            if (outcome.status() == TaskStatus.COMPLETED) {
                Optional<String> merged =
                        Optional.ofNullable(Artifacts.onDisk(dir).get(Artifacts.MERGED));
                if (merged.isPresent()) {
                    artifacts.put(Artifacts.MERGED, merged.get());
                    ended = TaskTransitions.mergeEnded(
                            record, MergeState.SUCCEEDED, null, null, artifacts, Instant.now());
                } else {
                    ended = TaskTransitions.mergeEnded(
                            record,
                            MergeState.FAILED,
                            "merged_model_missing",
                            "the merge reported success but merged_model/ is missing or empty",
                            artifacts,
                            Instant.now());
                }
            } else if (outcome.status() == TaskStatus.CANCELLED) {
                ended = TaskTransitions.mergeEnded(record, MergeState.CANCELLED, null, null, artifacts, Instant.now());
            } else {
                ended = TaskTransitions.mergeEnded(
                        record,
                        MergeState.FAILED,
                        outcome.errorCode(),
                        outcome.errorMessage(),
                        artifacts,
                        Instant.now());
            }
            if (!changes.saveAndPublish(ended, TaskEvent.Kind.STATE_CHANGED)) {
                listener.settleLater(id, exitCode, detail);
            }
        }
    }
}
