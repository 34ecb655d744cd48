package io.sage.studio.finetune.task;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.sage.studio.finetune.domain.Attempt;
import io.sage.studio.finetune.domain.MergeRun;
import io.sage.studio.finetune.domain.MergeState;
import io.sage.studio.finetune.domain.RunHandle;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.domain.TrainerPhase;
import io.sage.studio.finetune.progress.ProgressTracker;

/**
 * The task state machine: what each transition does to a record. Pure functions of a record (no I/O, no locks);
 * which status may follow which is {@link TaskStatus#canMoveTo}, enforced again by {@link TaskStore#save}. Every
 * transition but {@link #launched} grows the revision by one (a published change).
 *
 * <pre>
 * queued ──▶ preparing ──▶ training ──▶ completed
 *   │            │   ▲          ├─────▶ failed
 *   │            │   └ (requeued: the launch never happened)
 *   └──────▶ cancelled ◀────────┘
 *  failed / cancelled ──▶ queued (retried: attempt + 1, same id)
 *  queued ──▶ paused; preparing / training ──▶ paused once the trainer stopped (pausing)
 *  paused ──▶ queued (resumed: attempt + 1; unpaused when the attempt never started); paused ──▶ cancelled
 *  preparing / training ──▶ queued (a trainer that died, resumed automatically: attempt + 1)
 * </pre>
 */
final class TaskTransitions {

    private TaskTransitions() {}

    /** The next version of a record: a copy with the revision grown by one. */
    static TaskRecord.Builder next(TaskRecord record) {
        return record.toBuilder().revision(record.revision() + 1);
    }

    /** {@code pending} (old folders) → {@code queued}. */
    static TaskRecord queued(TaskRecord record) {
        return next(record).status(TaskStatus.QUEUED).build();
    }

    /** {@code preparing} without a run handle → {@code queued} again: the launch never happened. */
    static TaskRecord requeued(TaskRecord record) {
        return next(record)
                .status(TaskStatus.QUEUED)
                .phase(null)
                .startedAt(null)
                .statusMessage(null)
                .build();
    }

    /** {@code queued} → {@code preparing}: saved before the executor is asked to launch. */
    static TaskRecord preparing(TaskRecord record, Instant now) {
        return next(record)
                .status(TaskStatus.PREPARING)
                .resumeAt(null)
                .phase(null)
                .startedAt(now)
                .statusMessage(null)
                .build();
    }

    /** The run handle of a launched trainer (same revision: nothing the user sees changed). */
    static TaskRecord launched(TaskRecord preparing, RunHandle handle) {
        return preparing.toBuilder().run(handle).build();
    }

    /** {@code preparing} → {@code failed}: the executor could not launch the trainer. */
    static TaskRecord launchFailed(TaskRecord preparing, String message, Instant now) {
        return next(preparing)
                .status(TaskStatus.FAILED)
                .completedAt(now)
                .errorCode("launch_failed")
                .errorMessage(message)
                .build();
    }

    /** {@code queued} or {@code paused} → {@code cancelled} at once. */
    static TaskRecord cancelled(TaskRecord waiting, Instant now) {
        return next(waiting)
                .status(TaskStatus.CANCELLED)
                .completedAt(now)
                .statusMessage(null)
                .resumeAt(null)
                .build();
    }

    /**
     * {@code queued} → {@code paused} at once: it leaves the queue; its attempt never started, so resuming it is
     * {@link #unpaused}, not a new attempt.
     */
    static TaskRecord pausedWhileWaiting(TaskRecord waiting) {
        return next(waiting)
                .status(TaskStatus.PAUSED)
                .statusMessage(null)
                .resumeAt(null)
                .build();
    }

    /** A running task asked to pause; it is {@code paused} once its trainer has checkpointed and exited. */
    static TaskRecord pausing(TaskRecord running) {
        return next(running)
                .pauseRequested(true)
                .statusMessage("pausing: the trainer was asked to checkpoint and stop")
                .build();
    }

    /** {@code paused} (never launched) → {@code queued} behind the tasks of its priority, the same attempt. */
    static TaskRecord unpaused(TaskRecord paused, long queueSeq) {
        return next(paused)
                .status(TaskStatus.QUEUED)
                .statusMessage(null)
                .completedAt(null)
                .queueSeq(queueSeq)
                .build();
    }

    /** A queued attempt that joins the queue at {@code at} (an automatic resume's backoff), and why. */
    static TaskRecord resumingAt(TaskRecord queued, Instant at, String why) {
        return queued.toBuilder()
                .resumeAt(at)
                .statusMessage("attempt " + queued.attempt() + " starts at " + at + ": " + why)
                .build();
    }

    /** The backoff of an automatic resume is over: the task joins the queue. */
    static TaskRecord joined(TaskRecord waiting) {
        return next(waiting).resumeAt(null).statusMessage(null).build();
    }

    /** A running task asked to stop; it is {@code cancelled} once its trainer has exited. */
    static TaskRecord cancelling(TaskRecord running) {
        return next(running)
                .cancelRequested(true)
                .statusMessage("cancelling: the trainer was asked to checkpoint and stop")
                .build();
    }

    /**
     * Why a {@code preparing} task waits, as its executor reports it; {@code null} when nothing changes (not
     * preparing, a cancel requested, or the same phase and message).
     */
    static TaskRecord waiting(TaskRecord record, TrainerPhase phase, String message) {
        if (record.status() != TaskStatus.PREPARING
                || record.cancelRequested()
                || (phase == record.phase() && Objects.equals(message, record.statusMessage()))) {
            return null;
        }
        return next(record).phase(phase).statusMessage(message).build();
    }

    /**
     * The record with the trainer's live state folded in (same revision). The status follows the trainer:
     * {@code preparing} becomes {@code training} with the first phase past data preparation, or the first step.
     */
    static TaskRecord withProgress(TaskRecord record, ProgressTracker p) {
        TaskRecord.Builder b = record.toBuilder();
        if (p.phase() != null) {
            b.phase(p.phase());
            if (record.status() == TaskStatus.PREPARING && p.phase().training()) {
                b.status(TaskStatus.TRAINING);
            }
            b.statusMessage(record.cancelRequested() || record.pauseRequested() ? record.statusMessage() : null);
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
        if (p.evalLoss() != null) {
            b.evalLoss(p.evalLoss());
        }
        if (p.bestEvalLoss() != null) {
            b.bestEvalLoss(p.bestEvalLoss()).bestStep(p.bestStep());
        }
        if (!p.trackers().isEmpty()) {
            b.trackers(p.trackers());
        }
        return b.loss(p.loss())
                .learningRate(p.learningRate())
                .etaSeconds(p.etaSeconds())
                .build();
    }

    /** Whether two records show the same progress (nothing worth an event). */
    static boolean sameProgress(TaskRecord a, TaskRecord b) {
        return a.status() == b.status()
                && a.phase() == b.phase()
                && a.step() == b.step()
                && a.totalSteps() == b.totalSteps()
                && a.currentEpoch() == b.currentEpoch()
                && Objects.equals(a.loss(), b.loss())
                && Objects.equals(a.learningRate(), b.learningRate())
                && Objects.equals(a.etaSeconds(), b.etaSeconds())
                && Objects.equals(a.evalLoss(), b.evalLoss())
                && Objects.equals(a.bestEvalLoss(), b.bestEvalLoss())
                && Objects.equals(a.bestStep(), b.bestStep())
                && Objects.equals(a.trackers(), b.trackers())
                && Objects.equals(a.statusMessage(), b.statusMessage());
    }

    /**
     * A running task whose trainer ended → its outcome, with the last progress folded in; a completed task gets
     * 100 % and its {@code artifacts}.
     */
    static TaskRecord finished(
            TaskRecord record, ProgressTracker p, RunOutcome outcome, Map<String, String> artifacts, Instant now) {
        TaskRecord.Builder b = withProgress(record, p).toBuilder()
                .revision(record.revision() + 1)
                .status(outcome.status())
                .errorCode(outcome.errorCode())
                .errorMessage(outcome.errorMessage())
                .statusMessage(null)
                .completedAt(now)
                .etaSeconds(null)
                .pauseRequested(false);
        if (outcome.status() == TaskStatus.COMPLETED) {
            b.progress(100).etaSeconds(0L).artifacts(artifacts);
        }
        return b.build();
    }

    /**
     * {@code failed}/{@code cancelled}/{@code paused}, or a run that just died → {@code queued}: a new attempt of the
     * same task. The ended attempt joins
     * {@code attempts}; what the last run left (error, times, run handle, merge, artifacts) is cleared, and the progress
     * starts at {@code resumed} — the checkpoint's step and epoch, or nothing.
     */
    static TaskRecord retried(TaskRecord ended, long queueSeq, ProgressTracker resumed) {
        List<Attempt> attempts = new ArrayList<>(ended.attempts());
        attempts.add(new Attempt(
                ended.attempt(),
                ended.startedAt(),
                ended.completedAt(),
                ended.status(),
                ended.errorCode(),
                ended.errorMessage()));
        TaskRecord.Builder b = next(ended)
                .status(TaskStatus.QUEUED)
                .phase(null)
                .statusMessage(null)
                .progress(0)
                .currentEpoch(0)
                .step(0)
                .totalSteps(0)
                .loss(null)
                .learningRate(null)
                .evalLoss(null)
                .bestEvalLoss(null)
                .bestStep(null)
                .etaSeconds(null)
                .startedAt(null)
                .completedAt(null)
                .errorCode(null)
                .errorMessage(null)
                .artifacts(Map.of())
                .cancelRequested(false)
                .pauseRequested(false)
                .resumeAt(null)
                .run(null)
                .mergeRun(null)
                .queueSeq(queueSeq)
                .attempt(ended.attempt() + 1)
                .attempts(attempts);
        if (resumed != null && resumed.totalSteps() > 0) {
            b.step(resumed.step()).totalSteps(resumed.totalSteps()).progress(resumed.percent());
            if (resumed.epoch() != null) {
                b.currentEpoch(resumed.epoch());
            }
            b.loss(resumed.loss()).learningRate(resumed.learningRate());
            // the best so far stays the best: the trainer keeps its checkpoint and compares later evaluations with it
            b.evalLoss(resumed.evalLoss()).bestEvalLoss(resumed.bestEvalLoss()).bestStep(resumed.bestStep());
        }
        return b.build();
    }

    /** A completed task whose adapter is to be merged: {@code merge_run} queued (its status stays completed). */
    static TaskRecord mergeQueued(TaskRecord completed, String requestedBy, Instant now) {
        return next(completed).mergeRun(MergeRun.queued(requestedBy, now)).build();
    }

    /** A queued merge handed to the executor: running, phase {@code merging}; saved before the launch. */
    static TaskRecord mergeLaunching(TaskRecord record, long progressOffset, Instant now) {
        return next(record)
                .phase(TrainerPhase.MERGING)
                .statusMessage(null)
                .mergeRun(record.mergeRun().launching(progressOffset, now))
                .build();
    }

    /** The run handle of a launched merge (same revision). */
    static TaskRecord mergeLaunched(TaskRecord record, RunHandle handle) {
        return record.toBuilder().mergeRun(record.mergeRun().withRun(handle)).build();
    }

    /** A running merge asked to stop; it is {@code cancelled} once its process or Job has ended. */
    static TaskRecord mergeCancelling(TaskRecord record) {
        return next(record)
                .mergeRun(record.mergeRun().cancelling())
                .statusMessage("cancelling the merge: the trainer was asked to stop")
                .build();
    }

    /**
     * Why a running merge waits (a Kubernetes pod not scheduled yet); {@code null} when nothing changes. The phase
     * stays {@code merging}.
     */
    static TaskRecord mergeWaiting(TaskRecord record, String message) {
        if (record.mergeRun() == null
                || record.mergeRun().state() != MergeState.RUNNING
                || record.mergeRun().cancelRequested()
                || Objects.equals(message, record.statusMessage())) {
            return null;
        }
        return next(record).statusMessage(message).build();
    }

    /**
     * The end of a merge: {@code succeeded} registers {@code merged_model} among the artifacts; the task stays
     * completed and its phase goes back to {@code done}.
     */
    static TaskRecord mergeEnded(
            TaskRecord record,
            MergeState end,
            String code,
            String message,
            Map<String, String> artifacts,
            Instant now) {
        return next(record)
                .phase(TrainerPhase.DONE)
                .statusMessage(null)
                .artifacts(artifacts)
                .mergeRun(record.mergeRun().ended(end, code, message, now))
                .build();
    }
}
