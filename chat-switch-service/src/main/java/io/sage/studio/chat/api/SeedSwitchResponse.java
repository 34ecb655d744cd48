package io.sage.studio.chat.api;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.sage.studio.chat.switching.SwitchOperation;

/**
 * The seed's answer to {@code switch-model} ({@code message, current_model, llm_service_restarted}) and to
 * {@code use-as-backend} ({@code status, message, model_name, model_path}), one shape for both, plus the operation.
 *
 * @param status always {@code success} (a failed switch is an error answer)
 * @param message one sentence for a toast: switched and live, or switched but no local LLM serves it
 * @param currentModel the model's path (or id), as {@code GET /api/finetune/current-model} says it and
 *     {@code switch-model?model_path=} takes it back
 * @param llmServiceRestarted the seed's flag: a local LLM engine serves the model now ({@code false}: the seed's
 *     "switched, needs restart" — no local engine, e.g. runtime none)
 * @param modelName how users see the model
 * @param modelPath the same as {@code current_model}
 * @param servedModelName the model name chat requests send
 * @param operation the switch that did it
 */
public record SeedSwitchResponse(
        @Schema(required = true, enumeration = "success") String status,
        @Schema(required = true) String message,
        @Schema(required = true) String currentModel,
        @Schema(required = true) boolean llmServiceRestarted,
        @Schema(required = true) String modelName,
        @Schema(required = true) String modelPath,
        String servedModelName,
        @Schema(required = true) SwitchOperation operation) {

    static final String SUCCESS = "success";

    /** The answer for a completed switch. */
    static SeedSwitchResponse of(SwitchOperation op) {
        String name = op.currentModel() != null ? op.currentModel() : op.servedModelName();
        return new SeedSwitchResponse(
                SUCCESS,
                message(op, name),
                op.modelPath(),
                op.llmServiceRestarted(),
                name,
                op.modelPath(),
                op.servedModelName(),
                op);
    }

    private static String message(SwitchOperation op, String name) {
        if (!op.llmServiceRestarted()) {
            return "Switched to " + name + ", but no local LLM engine serves it (runtime none): chat goes to the"
                    + " cloud API";
        }
        if (op.strategy() == null) {
            return "Switched to " + name + ": the local LLM serves it now";
        }
        String how = switch (op.strategy()) {
            case NONE -> "it was already serving";
            case LORA_HOT_LOAD -> "loaded into the running engine, no restart";
            case BLUE_GREEN -> "on a new engine, without downtime";
            case RECREATE ->
                "the engine was restarted"
                        + (op.timings() != null && op.timings().downtimeMs() != null
                                ? ", chat paused for " + op.timings().downtimeMs() + " ms"
                                : "");
            default -> "by " + op.strategy();
        };
        return "Switched to " + name + ": the local LLM serves it now (" + how + ")";
    }
}
