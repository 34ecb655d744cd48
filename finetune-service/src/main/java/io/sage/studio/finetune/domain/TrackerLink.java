package io.sage.studio.finetune.domain;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * Where one experiment tracker of a task keeps its curves, from the trainer's {@code tracker} record
 * ({@code docs/trainer-protocol.md}): TensorBoard always (its event files in {@code log_dir}, relative to the task
 * folder), MLflow and Weights &amp; Biases when the task's {@code report_to} names them (their {@code run_id} and, where
 * there is a page, {@code url}). A tracker named but not installed or not configured in the trainer's environment is
 * {@code state} {@code unavailable} with the trainer's {@code message}, so the user sees why no run appeared.
 *
 * @param name    {@code tensorboard}, {@code mlflow} or {@code wandb}
 * @param state   {@code active} or {@code unavailable}
 * @param runId   the tracker's run id (mlflow, wandb); {@code null} otherwise
 * @param url     the run's page (an http MLflow server, W&amp;B online); {@code null} when there is none
 * @param logDir  the TensorBoard event files' folder, relative to the task folder; {@code null} for the others
 * @param message why it is unavailable; {@code null} when active
 */
@RegisterForReflection
public record TrackerLink(String name, String state, String runId, String url, String logDir, String message) {}
