package io.sage.studio.chat;

import io.sage.studio.common.error.ErrorCode;
import io.sage.studio.common.error.ErrorKind;

/**
 * Every error code the chat-switch-service answers besides the shared ones ({@code invalid_field},
 * {@code path_outside_home}, … in {@link io.sage.studio.common.error.CommonError}). Domain and service classes throw
 * {@link io.sage.studio.common.error.StudioException} with one of these; the REST edge turns the kind into a status.
 */
public enum ChatSwitchError implements ErrorCode {
    /** The service is still starting (convergence holds the switch slot). */
    NOT_READY("not_ready", ErrorKind.UNAVAILABLE),
    /** The switch command could not be published on Kafka. */
    KAFKA_UNAVAILABLE("kafka_unavailable", ErrorKind.UNAVAILABLE),
    /** Another switch holds the slot; details carry its {@code operation_id}. */
    SWITCH_IN_PROGRESS("switch_in_progress", ErrorKind.CONFLICT),
    /** A local model asked for while the runtime is {@code none} (cloud only). */
    NO_LOCAL_ENGINE("no_local_engine", ErrorKind.INVALID),
    /** The strategy asked for cannot reach the target (e.g. {@code lora-hot-load} to a merged model). */
    STRATEGY_NOT_APPLICABLE("strategy_not_applicable", ErrorKind.INVALID),
    /** The finetune-service knows no such task. */
    TASK_NOT_FOUND("task_not_found", ErrorKind.NOT_FOUND),
    /** The task has not completed, so it has nothing to serve. */
    TASK_NOT_COMPLETED("task_not_completed", ErrorKind.CONFLICT),
    /** The completed task produced neither a LoRA adapter nor a merged model. */
    NO_ARTIFACT("no_artifact", ErrorKind.CONFLICT),
    /** The task lists an artifact folder that does not exist. */
    ARTIFACT_MISSING("artifact_missing", ErrorKind.CONFLICT),
    /** An adapter folder whose {@code adapter_config.json} is unusable or points outside the studio home. */
    INVALID_ADAPTER("invalid_adapter", ErrorKind.INVALID),
    /** A file, or a folder with neither {@code config.json} nor {@code adapter_config.json}. */
    NOT_A_MODEL("not_a_model", ErrorKind.INVALID),
    /** A name that several models of the registry carry; details list the candidates. */
    AMBIGUOUS_MODEL("ambiguous_model", ErrorKind.CONFLICT),
    /** Neither a registered model, a catalogue id nor a model folder inside the studio home. */
    UNKNOWN_MODEL("unknown_model", ErrorKind.INVALID),
    /** The finetune-service refused a look-up (a 4xx other than 404). */
    FINETUNE_ERROR("finetune_error", ErrorKind.UPSTREAM_FAILED),
    /** The finetune-service cannot be reached to look up a task. */
    FINETUNE_UNAVAILABLE("finetune_unavailable", ErrorKind.UNAVAILABLE),
    /** {@code POST /api/chat/switch} without a body. */
    MISSING_BODY("missing_body", ErrorKind.INVALID),
    /** No switch operation with that id. */
    OPERATION_NOT_FOUND("operation_not_found", ErrorKind.NOT_FOUND),
    /** The seed-compatible endpoints waited longer than a switch may take; the switch goes on. */
    SWITCH_TIMEOUT("switch_timeout", ErrorKind.TIMEOUT),
    /** The switch failed (the old model serves on); details carry the operation. */
    SWITCH_FAILED("switch_failed", ErrorKind.UPSTREAM_FAILED),
    /** A LoRA adapter of a rank above vLLM's largest {@code --max-lora-rank} (512). */
    LORA_RANK_TOO_HIGH("lora_rank_too_high", ErrorKind.INVALID),
    /** A LoRA adapter on a base model whose architecture vLLM serves without LoRA support. */
    LORA_NOT_SUPPORTED("lora_not_supported", ErrorKind.INVALID),
    /** {@code DELETE /api/chat/serving/{model}} of a model that is not served. */
    MODEL_NOT_SERVED("model_not_served", ErrorKind.NOT_FOUND),
    /** Unserving the default model (switch to another one first). */
    MODEL_IS_DEFAULT("model_is_default", ErrorKind.CONFLICT),
    /** Unserving (or switching away from) a model a running rollout uses; details carry the {@code rollout_id}. */
    MODEL_IN_ROLLOUT("model_in_rollout", ErrorKind.CONFLICT),
    /** No running engine can take the model and no GPU has room for a new one; details say what is needed. */
    NO_CAPACITY("no_capacity", ErrorKind.CONFLICT),
    /** A load on demand of a model that would need an engine of its own (only hot-loads are done on demand). */
    NOT_LOADABLE_ON_DEMAND("not_loadable_on_demand", ErrorKind.CONFLICT),
    /** A rollout asked for while no model serves as the default (nothing to roll out from). */
    NO_DEFAULT_MODEL("no_default_model", ErrorKind.CONFLICT),
    /** No rollout with that id. */
    ROLLOUT_NOT_FOUND("rollout_not_found", ErrorKind.NOT_FOUND),
    /** A rollout runs already (one at a time); details carry its {@code rollout_id}. */
    ROLLOUT_IN_PROGRESS("rollout_in_progress", ErrorKind.CONFLICT),
    /** Promote or abort of a rollout that has ended. */
    ROLLOUT_FINISHED("rollout_finished", ErrorKind.CONFLICT),
    /**
     * A switch or rollout of a task's model that requires an evaluation ({@code require_evaluation}, or
     * {@code studio.chat.require-evaluation}) while the task's latest evaluation has not completed (or there is none).
     */
    EVALUATION_MISSING("evaluation_missing", ErrorKind.CONFLICT),
    /** As above, with a completed evaluation whose verdict is {@code worse}; the message names it and its reason. */
    EVALUATION_WORSE("evaluation_worse", ErrorKind.CONFLICT);

    private final String code;
    private final ErrorKind kind;

    ChatSwitchError(String code, ErrorKind kind) {
        this.code = code;
        this.kind = kind;
    }

    @Override
    public String code() {
        return code;
    }

    @Override
    public ErrorKind kind() {
        return kind;
    }
}
