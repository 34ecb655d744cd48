package io.sage.studio.events;

import java.time.Instant;
import java.util.Map;

/**
 * The public view of a fine-tuning task, as the API, the SSE stream and Kafka show it.
 * Field names follow the original studio (snake_case on the wire).
 *
 * @param mergeState the state of the merge of a completed task's adapter after training
 *                   ({@code queued|running|succeeded|failed|cancelled}), {@code null} when there was none; added in
 *                   schema version 1 as an optional field (consumers ignore fields they do not know)
 * @param attempt    the task's current attempt (1-based; a retry, a resume after a pause and an automatic resume after
 *                   a trainer died each start the next one under the same task id); {@code null} from producers that
 *                   predate it. Optional, added in schema version 1 like {@code mergeState}
 * @param clonedFrom the task this one was cloned from ({@code POST …/clone}), {@code null} otherwise. Optional, added
 *                   in schema version 1
 * @param evalLoss     the latest validation loss ({@code null} without a validation set). Optional, added in schema
 *                     version 1, like the three that follow
 * @param bestEvalLoss the lowest validation loss so far (the checkpoint the trainer keeps)
 * @param bestStep     the step of {@code bestEvalLoss}
 * @param evaluation   the latest evaluation of the task's model against a baseline; {@code null} when none
 */
public record TaskSnapshot(
        String taskId,
        String modelName,
        String status,
        String phase,
        double progress,
        double currentEpoch,
        int totalEpochs,
        long step,
        long totalSteps,
        Double loss,
        Double learningRate,
        Long etaSeconds,
        Integer queuePosition,
        String errorMessage,
        Map<String, String> artifacts,
        Instant createdAt,
        Instant startedAt,
        Instant completedAt,
        String mergeState,
        Integer attempt,
        String clonedFrom,
        Double evalLoss,
        Double bestEvalLoss,
        Long bestStep,
        Evaluation evaluation) {

    /**
     * The latest evaluation run of a task: what switches and rollouts gate on ({@code require_evaluation}).
     *
     * @param evaluationId the run ({@code GET /api/finetune/tasks/{task}/evaluations/{id}})
     * @param state        {@code queued|running|completed|failed}
     * @param verdict      {@code better|worse|inconclusive} once completed, else {@code null}
     * @param baseline     what the task's model was compared with ({@code base} or a model id)
     */
    public record Evaluation(String evaluationId, String state, String verdict, String baseline) {}

    /** A snapshot without validation figures and evaluation (producers before they were added). */
    public TaskSnapshot(
            String taskId,
            String modelName,
            String status,
            String phase,
            double progress,
            double currentEpoch,
            int totalEpochs,
            long step,
            long totalSteps,
            Double loss,
            Double learningRate,
            Long etaSeconds,
            Integer queuePosition,
            String errorMessage,
            Map<String, String> artifacts,
            Instant createdAt,
            Instant startedAt,
            Instant completedAt,
            String mergeState,
            Integer attempt,
            String clonedFrom) {
        this(
                taskId,
                modelName,
                status,
                phase,
                progress,
                currentEpoch,
                totalEpochs,
                step,
                totalSteps,
                loss,
                learningRate,
                etaSeconds,
                queuePosition,
                errorMessage,
                artifacts,
                createdAt,
                startedAt,
                completedAt,
                mergeState,
                attempt,
                clonedFrom,
                null,
                null,
                null,
                null);
    }

    /** A snapshot without attempt and clone source (producers before they were added). */
    public TaskSnapshot(
            String taskId,
            String modelName,
            String status,
            String phase,
            double progress,
            double currentEpoch,
            int totalEpochs,
            long step,
            long totalSteps,
            Double loss,
            Double learningRate,
            Long etaSeconds,
            Integer queuePosition,
            String errorMessage,
            Map<String, String> artifacts,
            Instant createdAt,
            Instant startedAt,
            Instant completedAt,
            String mergeState) {
        this(
                taskId,
                modelName,
                status,
                phase,
                progress,
                currentEpoch,
                totalEpochs,
                step,
                totalSteps,
                loss,
                learningRate,
                etaSeconds,
                queuePosition,
                errorMessage,
                artifacts,
                createdAt,
                startedAt,
                completedAt,
                mergeState,
                null,
                null,
                null,
                null,
                null,
                null);
    }

    /** A snapshot without a merge. */
    public TaskSnapshot(
            String taskId,
            String modelName,
            String status,
            String phase,
            double progress,
            double currentEpoch,
            int totalEpochs,
            long step,
            long totalSteps,
            Double loss,
            Double learningRate,
            Long etaSeconds,
            Integer queuePosition,
            String errorMessage,
            Map<String, String> artifacts,
            Instant createdAt,
            Instant startedAt,
            Instant completedAt) {
        this(
                taskId,
                modelName,
                status,
                phase,
                progress,
                currentEpoch,
                totalEpochs,
                step,
                totalSteps,
                loss,
                learningRate,
                etaSeconds,
                queuePosition,
                errorMessage,
                artifacts,
                createdAt,
                startedAt,
                completedAt,
                null);
    }
}
