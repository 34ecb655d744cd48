package io.sage.studio.finetune;

import io.sage.studio.common.error.ErrorCode;
import io.sage.studio.common.error.ErrorKind;

/**
 * Every error code the finetune-service answers besides the shared ones ({@code invalid_field},
 * {@code path_outside_home}, {@code not_owner}, … in {@link io.sage.studio.common.error.CommonError}). Domain and
 * service classes throw {@link io.sage.studio.common.error.StudioException} with one of these; the REST edge turns
 * the kind into a status. A task's own {@code error_code} (the trainer's protocol codes, {@code trainer_exit},
 * {@code trainer_lost}, {@code launch_failed}) and a dataset line's problem codes are data, not listed here.
 */
public enum FinetuneError implements ErrorCode {
    /** No task with that id. */
    TASK_NOT_FOUND("task_not_found", ErrorKind.NOT_FOUND),
    /** Cancel of a task that has already ended (and has no merge queued or running). */
    TASK_FINISHED("task_finished", ErrorKind.CONFLICT),
    /** Delete of a task that is still queued or running, or whose merge is. */
    TASK_ACTIVE("task_active", ErrorKind.CONFLICT),
    /** Retry of a task that is not failed or cancelled (or that the executor cannot run again yet). */
    TASK_NOT_RETRYABLE("task_not_retryable", ErrorKind.CONFLICT),
    /** Pause of a task that has ended or is being cancelled. */
    TASK_NOT_PAUSABLE("task_not_pausable", ErrorKind.CONFLICT),
    /** Resume of a task that is not paused (or that the executor cannot run again yet). */
    TASK_NOT_PAUSED("task_not_paused", ErrorKind.CONFLICT),
    /** Download from (or merge of) a task that has not completed. */
    TASK_NOT_COMPLETED("task_not_completed", ErrorKind.CONFLICT),
    /** Merge of a task without a LoRA adapter: a full fine-tune (its output is the model) or no {@code lora/}. */
    NOTHING_TO_MERGE("nothing_to_merge", ErrorKind.CONFLICT),
    /** Merge of a task that already has {@code merged_model/} (without {@code force=true}). */
    ALREADY_MERGED("already_merged", ErrorKind.CONFLICT),
    /** Merge of a task whose merge is queued or running. */
    MERGE_IN_PROGRESS("merge_in_progress", ErrorKind.CONFLICT),
    /** Download of an artifact the completed task does not have (or whose folder leads outside the task). */
    ARTIFACT_NOT_FOUND("artifact_not_found", ErrorKind.NOT_FOUND),
    /** No evaluation with that id for the task. */
    EVALUATION_NOT_FOUND("evaluation_not_found", ErrorKind.NOT_FOUND),
    /** No webhook with that id. */
    WEBHOOK_NOT_FOUND("webhook_not_found", ErrorKind.NOT_FOUND),
    /** {@code webhooks.max-webhooks} webhooks are registered already; answered when one more is asked for. */
    TOO_MANY_WEBHOOKS("too_many_webhooks", ErrorKind.QUOTA),
    /** {@code evaluation.max-queued} evaluations are queued or running already; answered when one more is asked for. */
    EVALUATION_QUEUE_FULL("evaluation_queue_full", ErrorKind.QUOTA),
    /** The owner already has {@code max-queued-per-owner} queued or running tasks; details name the limit. */
    QUOTA_EXCEEDED("quota_exceeded", ErrorKind.QUOTA),
    /** {@code max-concurrent-downloads} archives are being streamed; answered with {@code Retry-After}. */
    TOO_MANY_DOWNLOADS("too_many_downloads", ErrorKind.UNAVAILABLE),
    /** {@code POST /create} without a body. */
    MISSING_BODY("missing_body", ErrorKind.INVALID),
    /** An upload without the multipart field {@code file}. */
    MISSING_FILE("missing_file", ErrorKind.INVALID),
    /** An upload that is neither {@code .jsonl} nor {@code .json}. */
    UNSUPPORTED_FILE_TYPE("unsupported_file_type", ErrorKind.INVALID),
    /** An upload over {@code dataset.max-bytes}. */
    DATASET_TOO_LARGE("dataset_too_large", ErrorKind.TOO_LARGE),
    /** The owner's stored datasets would exceed {@code max-datasets-bytes}. */
    DATASET_QUOTA_EXCEEDED("dataset_quota_exceeded", ErrorKind.TOO_LARGE),
    /** A dataset with no valid record; details list the problems by line. */
    DATASET_INVALID("dataset_invalid", ErrorKind.INVALID),
    /**
     * No dataset with that id (404); as a task's {@code dataset_file} that names nothing, a bad request (the thrower
     * passes {@link ErrorKind#INVALID}).
     */
    DATASET_NOT_FOUND("dataset_not_found", ErrorKind.NOT_FOUND),
    /** A {@code dataset_file} inside the studio home but outside the datasets area and the tasks' datasets. */
    DATASET_NOT_ALLOWED("dataset_not_allowed", ErrorKind.INVALID),
    /** The documentation bundled at build time is missing or too short for {@code prepare-sage-docs}. */
    DOCS_UNAVAILABLE("docs_unavailable", ErrorKind.INTERNAL),
    /** The studio home's file system (or the user's disk quota) is full; nothing half-written is left. */
    INSUFFICIENT_STORAGE("insufficient_storage", ErrorKind.INSUFFICIENT_STORAGE),
    /**
     * A task's or dataset's files cannot be written; the thrower passes {@link ErrorKind#INSUFFICIENT_STORAGE} when
     * the disk is full.
     */
    STORAGE_ERROR("storage_error", ErrorKind.INTERNAL);

    private final String code;
    private final ErrorKind kind;

    FinetuneError(String code, ErrorKind kind) {
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
