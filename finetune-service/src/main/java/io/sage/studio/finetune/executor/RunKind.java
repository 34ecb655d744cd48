package io.sage.studio.finetune.executor;

import java.util.List;
import java.util.Locale;

/**
 * What an executor runs for a task: its training ({@code <command> --spec <task_dir>/job.json}) or, after a
 * completed LoRA/QLoRA training, the merge of its adapter ({@code <command> merge --task-dir <task_dir>}, which
 * stages {@code merged_model/} and renames it into place). Both speak the trainer protocol (progress records in
 * {@code progress.jsonl}); each has its own log and, on Kubernetes, its own Job.
 */
public enum RunKind {
    TRAIN("logs.txt", ""),
    MERGE("merge_logs.txt", "-merge");

    /** The label value that marks a merge Job and its pods ({@value #LABEL}); training Jobs have no such label. */
    public static final String LABEL = "studio.sage.io/run";

    private final String logFile;
    private final String jobSuffix;

    RunKind(String logFile, String jobSuffix) {
        this.logFile = logFile;
        this.jobSuffix = jobSuffix;
    }

    /** The arguments after the trainer command, for a task directory at {@code taskDir} (as the trainer sees it). */
    public List<String> args(String taskDir) {
        return this == TRAIN ? List.of("--spec", taskDir + "/job.json") : List.of("merge", "--task-dir", taskDir);
    }

    /** The file in the task directory that gets the run's stdout and stderr. */
    public String logFile() {
        return logFile;
    }

    /** The name of the task's Job of this kind (task ids leave room for the suffix within 63 characters). */
    public String jobName(String taskId) {
        return taskId + jobSuffix;
    }

    /** The value of {@link #LABEL} on this kind's Jobs and pods; {@code null} for training (no label). */
    public String labelValue() {
        return this == TRAIN ? null : name().toLowerCase(Locale.ROOT);
    }

    /** The key an executor files a watched run under. */
    public String key(String taskId) {
        return taskId + jobSuffix;
    }
}
