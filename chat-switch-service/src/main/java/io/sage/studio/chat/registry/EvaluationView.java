package io.sage.studio.chat.registry;

/**
 * The fields of a finetune-service {@code Evaluation} that the evaluation gate quotes when it refuses.
 *
 * @param verdict       {@code better|worse|inconclusive}
 * @param verdictReason the rule and the numbers behind the verdict
 */
public record EvaluationView(String evaluationId, String state, String verdict, String verdictReason) {}
