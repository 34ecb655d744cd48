package io.sage.studio.cli.commands;

import java.util.Locale;

import io.sage.studio.cli.api.TaskView;

/** The one-line progress of a task, as {@code sage finetune start --wait} prints it. */
public final class ProgressLines {

    private ProgressLines() {}

    /**
     * {@code [########------------]  42.5% training step 17/40 epoch 1.27/3 loss 0.8313 eval_loss 0.9120 (best 0.9010
     * @ 12) ETA 1m35s} ({@code eval_loss} once the validation set was evaluated; the best when it was another step's:
     * the model the task keeps comes from that step).
     */
    public static String of(TaskView t) {
        double pct = Output.or0(t.progress());
        int filled = (int) (Math.max(0, Math.min(100, pct)) / 5);
        StringBuilder line = new StringBuilder(String.format(
                Locale.ROOT,
                "[%s%s] %5.1f%% %-9s",
                "#".repeat(filled),
                "-".repeat(20 - filled),
                pct,
                Output.orEmpty(t.status())));
        if (t.queuePosition() != null) {
            line.append(" queue #").append(t.queuePosition());
        }
        if (Output.or0(t.totalSteps()) > 0) {
            line.append(String.format(Locale.ROOT, " step %d/%d", Output.or0(t.step()), t.totalSteps()));
        }
        if (Output.or0(t.totalEpochs()) > 0) {
            line.append(String.format(Locale.ROOT, " epoch %.2f/%d", Output.or0(t.epochsDone()), t.totalEpochs()));
        }
        if (t.lossToShow() != null) {
            line.append(String.format(Locale.ROOT, " loss %.4f", t.lossToShow()));
        }
        if (t.evalLoss() != null) {
            line.append(String.format(Locale.ROOT, " eval_loss %.4f", t.evalLoss()));
            if (t.bestEvalLoss() != null
                    && t.bestStep() != null
                    && !t.bestEvalLoss().equals(t.evalLoss())) {
                line.append(String.format(Locale.ROOT, " (best %.4f @ %d)", t.bestEvalLoss(), t.bestStep()));
            }
        }
        if (t.etaSeconds() != null) {
            line.append(" ETA ").append(Output.duration(t.etaSeconds()));
        }
        return line.toString();
    }
}
