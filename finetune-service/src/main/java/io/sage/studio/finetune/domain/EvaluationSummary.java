package io.sage.studio.finetune.domain;

import java.time.Instant;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.sage.studio.events.TaskSnapshot;

/**
 * The latest evaluation of a task's model against a baseline, as the task carries it (the whole result, samples
 * included, is {@code evaluations/<id>.json} in the task folder). Switches and rollouts that require an evaluation
 * read {@code state} and {@code verdict} from here.
 *
 * @param evaluationId the run ({@code GET /api/finetune/tasks/{task}/evaluations/{id}})
 * @param state        {@code queued|running|completed|failed}
 * @param verdict      {@code better|worse|inconclusive} once completed, else {@code null}
 * @param baseline     what the model was compared with: {@code base} or a model id
 * @param completedAt  when the run completed or failed; {@code null} before
 */
@RegisterForReflection
public record EvaluationSummary(
        String evaluationId, String state, String verdict, String baseline, Instant completedAt) {

    /** The event view (Kafka). */
    public TaskSnapshot.Evaluation snapshot() {
        return new TaskSnapshot.Evaluation(evaluationId, state, verdict, baseline);
    }
}
