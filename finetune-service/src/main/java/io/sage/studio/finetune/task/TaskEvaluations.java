package io.sage.studio.finetune.task;

import java.nio.file.Path;
import java.util.Collection;
import java.util.Optional;

import io.sage.studio.events.TaskEvent;
import io.sage.studio.finetune.domain.EvaluationSummary;
import io.sage.studio.finetune.domain.TaskRecord;

/**
 * The task side of evaluations: their folder, and the task's {@code evaluation} summary, changed like every other
 * task change (under the task's lock, file first, then a task event on {@code studio.finetune.tasks} and the SSE
 * stream). The evaluations themselves live in the evaluation package; this is the one door into the task files.
 */
public final class TaskEvaluations {

    private final TaskChanges changes;

    TaskEvaluations(TaskChanges changes) {
        this.changes = changes;
    }

    /** The task, if it exists. */
    public Optional<TaskRecord> task(String taskId) {
        return changes.store().get(taskId);
    }

    /** The task's folder (whether or not it exists). */
    public Path dir(String taskId) {
        return changes.store().dir(taskId);
    }

    /** Every task (to recover their evaluations at start). */
    public Collection<TaskRecord> all() {
        return changes.store().all();
    }

    /**
     * Sets the task's summary to {@code summary}, unless it already shows a newer evaluation (ids sort by time);
     * {@code false} when the task is gone or its file cannot be written (nothing is published then).
     */
    public boolean summarize(String taskId, EvaluationSummary summary) {
        synchronized (changes.lock(taskId)) {
            TaskRecord record = changes.store().get(taskId).orElse(null);
            if (record == null) {
                return false;
            }
            EvaluationSummary current = record.evaluation();
            if (current != null && current.evaluationId().compareTo(summary.evaluationId()) > 0) {
                return true;
            }
            if (summary.equals(current)) {
                return true;
            }
            TaskRecord next = TaskTransitions.next(record).evaluation(summary).build();
            return changes.saveAndPublish(next, TaskEvent.Kind.STATE_CHANGED);
        }
    }
}
