package io.sage.studio.cli.api;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A fine-tuning task ({@code GET /api/finetune/tasks[/ID]}, the {@code task} events of {@code /tasks/stream},
 * {@code POST /create}, {@code POST /tasks/ID/cancel}; also {@code finetune_meta.json}). Numbers are boxed: a
 * missing or {@code null} field stays {@code null}. {@code config} is printed as it came; only {@code sage finetune
 * start} reads its {@code gpus}, {@code nodes} and {@code parallelism} (the layout line, left out when they are not).
 * {@code current_epoch} is the whole epoch in progress and {@code epoch} the fractional count; {@code loss} is
 * {@code 0} until the trainer reports one, {@code latest_loss} stays {@code null} until then; {@code warnings} are
 * messages and {@code warning_details} the same with their codes. {@code eval_loss} (latest), {@code best_eval_loss}
 * and {@code best_step} come from a validation split and stay {@code null} without one; {@code evaluation} is the
 * latest evaluation against a baseline, {@code null} before the first.
 */
public record TaskView(
        String taskId,
        String status,
        String phase,
        String modelName,
        String method,
        String datasetPath,
        String outputDir,
        Double progress,
        Integer currentEpoch,
        Double epoch,
        Integer totalEpochs,
        Long step,
        Long totalSteps,
        Double loss,
        Double latestLoss,
        Double learningRate,
        Long etaSeconds,
        Integer queuePosition,
        String createdAt,
        String startedAt,
        String completedAt,
        String errorMessage,
        Map<String, String> artifacts,
        JsonNode config,
        List<Warning> warnings,
        List<Warning> warningDetails,
        Double evalLoss,
        Double bestEvalLoss,
        Long bestStep,
        EvaluationSummary evaluation) {

    public TaskView {
        artifacts = artifacts == null ? Map.of() : artifacts;
        warnings = warnings == null ? List.of() : warnings;
        warningDetails = warningDetails == null ? List.of() : warningDetails;
    }

    /** The warnings with their codes when the service sent them, else the messages. */
    public List<Warning> warningsToShow() {
        return warningDetails.isEmpty() ? warnings : warningDetails;
    }

    /**
     * The last reported loss: {@code latest_loss} from a service that sends it ({@code null} before the first),
     * else {@code loss}.
     */
    public Double lossToShow() {
        return latestLoss != null || epoch != null ? latestLoss : loss;
    }

    /** The fractional epoch count when the service sent it, else the whole {@code current_epoch}. */
    public Double epochsDone() {
        return epoch != null ? epoch : currentEpoch == null ? null : currentEpoch.doubleValue();
    }

    /** {@code completed}, {@code failed} or {@code cancelled}. */
    public boolean terminal() {
        return "completed".equals(status) || "failed".equals(status) || "cancelled".equals(status);
    }

    /** Ended, or {@code paused}: nothing happens to it until someone resumes it, so a follower stops there. */
    public boolean idle() {
        return terminal() || "paused".equals(status);
    }
}
