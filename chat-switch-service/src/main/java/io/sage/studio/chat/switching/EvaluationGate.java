package io.sage.studio.chat.switching;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import io.sage.studio.chat.ChatSwitchError;
import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.registry.EvaluationView;
import io.sage.studio.chat.registry.FinetuneClient;
import io.sage.studio.chat.registry.ServableModel;
import io.sage.studio.chat.registry.ServableModelResolver;
import io.sage.studio.chat.registry.TaskView;
import io.sage.studio.common.error.StudioException;

/**
 * The evaluation gate on switches and rollouts: a fine-tune should not replace what users get without evidence that
 * it is not worse. When a request requires an evaluation ({@code require_evaluation}, default
 * {@code studio.chat.require-evaluation}) and its model is a task's artifact, the task's latest evaluation
 * ({@code GET /api/finetune/tasks/{id}}'s {@code evaluation}) must have completed (else 409
 * {@code evaluation_missing}) with a verdict other than {@code worse} (else 409 {@code evaluation_worse}, naming the
 * evaluation and its reason). {@code force} lets the request through anyway; the caller records that it did. Base
 * models, registry models and paths that are no task's output are not gated: there is nothing to evaluate them
 * against.
 */
@ApplicationScoped
public class EvaluationGate {

    private final FinetuneClient finetune;
    private final ServableModelResolver resolver;
    private final boolean requiredByDefault;

    public EvaluationGate(FinetuneClient finetune, ServableModelResolver resolver, ChatConfig config) {
        this.finetune = finetune;
        this.resolver = resolver;
        this.requiredByDefault = config.requireEvaluation();
    }

    /**
     * Checks a request for the task {@code taskId} ({@code null}: not a task's model, always passes).
     *
     * @param require {@code require_evaluation} as given ({@code null}: the configured default)
     * @param force   {@code force} as given
     * @return why the gate was overridden, when {@code force} let through what it would have refused; empty when it
     *     passed on its own (or did not apply)
     */
    public Optional<String> check(String taskId, Boolean require, Boolean force) {
        boolean required = require == null ? requiredByDefault : require;
        if (!required || taskId == null) {
            return Optional.empty();
        }
        TaskView task = finetune.task(taskId).orElse(null);
        TaskView.Evaluation evaluation = task == null ? null : task.evaluation();
        StudioException refusal;
        if (evaluation == null || !"completed".equals(evaluation.state())) {
            refusal = new StudioException(
                    ChatSwitchError.EVALUATION_MISSING,
                    evaluation == null
                            ? "task " + taskId + " has no evaluation; evaluate it first (POST /api/finetune/tasks/"
                                    + taskId + "/evaluations) or pass force: true"
                            : "the latest evaluation of task " + taskId + " (" + evaluation.evaluationId() + ") is "
                                    + evaluation.state() + ", not completed; wait for it, evaluate again, or pass"
                                    + " force: true",
                    evaluation == null ? List.of() : List.of(Map.of("evaluation_id", evaluation.evaluationId())));
        } else if ("worse".equals(evaluation.verdict())) {
            String reason = finetune.evaluation(taskId, evaluation.evaluationId())
                    .map(EvaluationView::verdictReason)
                    .map(r -> ": " + r)
                    .orElse("");
            refusal = new StudioException(
                    ChatSwitchError.EVALUATION_WORSE,
                    "evaluation " + evaluation.evaluationId() + " of task " + taskId + " found it worse than "
                            + evaluation.baseline() + reason + "; pass force: true to switch anyway",
                    List.of(Map.of("evaluation_id", evaluation.evaluationId(), "verdict", "worse")));
        } else {
            return Optional.empty();
        }
        if (Boolean.TRUE.equals(force)) {
            return Optional.of("evaluation gate overridden with force: " + refusal.getMessage());
        }
        throw refusal;
    }

    /**
     * The task whose artifact {@code model} names (a task id, a task's served name, folder or registry entry), or
     * {@code null} for anything else, resolved like {@code POST /api/chat/serving} resolves it.
     */
    public String taskOf(String model) {
        if (model == null || model.isBlank()) {
            return null;
        }
        String m = model.strip();
        try {
            return resolver.byModel(m).taskId();
        } catch (StudioException unknown) {
            if (unknown.error() != ChatSwitchError.UNKNOWN_MODEL || m.contains("/")) {
                return null;
            }
        }
        try {
            return resolver.byTask(m).taskId();
        } catch (StudioException notATask) {
            return null;
        }
    }

    /** The task of a target already resolved. */
    public static String taskOf(ServableModel target) {
        return target == null ? null : target.taskId();
    }
}
