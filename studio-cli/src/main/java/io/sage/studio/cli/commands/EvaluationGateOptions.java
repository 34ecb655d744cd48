package io.sage.studio.cli.commands;

import java.util.Map;

import picocli.CommandLine.Option;

/**
 * {@code --require-evaluation} and {@code --force} of {@code sage switch} and {@code sage rollout start}: the
 * evaluation gate (a switch or rollout of a fine-tune without a completed evaluation is refused with 409
 * {@code evaluation_missing}, one whose verdict is {@code worse} with {@code evaluation_worse}; force overrides and is
 * recorded on the operation). Unset flags are not sent, so the server's {@code studio.chat.require-evaluation} decides.
 */
public class EvaluationGateOptions {

    @Option(
            names = "--require-evaluation",
            description = "Refuse unless the fine-tune has a completed evaluation whose verdict is not 'worse' "
                    + "(default: the server's studio.chat.require-evaluation).")
    boolean requireEvaluation;

    @Option(names = "--force", description = "Go ahead although the evaluation is missing or worse (recorded).")
    boolean force;

    /** Adds the flags that are set to a switch or rollout request. */
    void addTo(Map<String, Object> body) {
        if (requireEvaluation) {
            body.put("require_evaluation", true);
        }
        if (force) {
            body.put("force", true);
        }
    }
}
