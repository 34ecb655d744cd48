package io.sage.studio.finetune.task;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.events.TaskEvent;
import io.sage.studio.finetune.dataset.DatasetService;
import io.sage.studio.finetune.dataset.ValidationSplit;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TrainingConfig;
import io.sage.studio.finetune.executor.kubernetes.KubernetesExecutor;
import io.sage.studio.finetune.progress.ProgressTracker;
import io.sage.studio.finetune.progress.TrainerLogTail;
import io.sage.studio.finetune.queue.TaskQueue;

/**
 * Starts the next attempt of a task under the same id: for a retry, a resume after a pause, and the automatic resume
 * of a trainer that died. One place writes what the trainer of the new attempt reads ({@code job.json} with
 * {@code resume_from} = the latest complete checkpoint, the progress file carried up to its step) and the line in
 * {@code logs.txt} that tells why, so the three ways of going on cannot drift apart. Also writes the first
 * {@code job.json} of a task. Callers hold the task's lock.
 */
final class NextAttempts {

    private static final Logger LOG = Logger.getLogger(NextAttempts.class);
    private static final Duration RETRY = Duration.ofSeconds(5);
    /** {@code resume_from}: the trainer's newest complete checkpoint, or a fresh start ({@code docs/trainer-protocol.md}). */
    static final String LATEST = "latest";

    private final TaskChanges changes;
    private final TaskQueue queue;
    private final Checkpoints checkpoints;
    private final ScheduledExecutorService timer;
    private final Runnable dispatch;

    /**
     * @param timer    where a delayed attempt joins the queue
     * @param dispatch run when a task joined the queue
     */
    NextAttempts(
            TaskChanges changes,
            TaskQueue queue,
            Checkpoints checkpoints,
            ScheduledExecutorService timer,
            Runnable dispatch) {
        this.changes = changes;
        this.queue = queue;
        this.checkpoints = checkpoints;
        this.timer = timer;
        this.dispatch = dispatch;
    }

    /**
     * {@code job.json} ({@code docs/trainer-protocol.md}, {@code job.schema.json}); paths relative to the task folder
     * {@code dir} so it works on any mount of it; {@code save_steps} (the task's own, else the service's) and
     * {@code eval_steps} from the samples of its {@code dataset.jsonl}; {@code validation_path} when the task validates
     * (its {@code validation.jsonl}); {@code distributed} when it trains on more than one GPU.
     */
    Map<String, Object> jobSpec(TaskRecord record, Path dir, String resumeFrom) throws IOException {
        Map<String, Object> job = new LinkedHashMap<>();
        job.put("task_id", record.taskId());
        job.put("base_model", record.modelName());
        job.put("dataset_path", DatasetService.DATA_FILE);
        boolean validates = record.config().validates()
                && Files.isRegularFile(dir.resolve(ValidationSplit.FILE), LinkOption.NOFOLLOW_LINKS);
        job.put("validation_path", validates ? ValidationSplit.FILE : null);
        job.put("output_dir", ".");
        job.put("method", record.method());
        long samples = Checkpoints.samples(dir.resolve(DatasetService.DATA_FILE));
        Map<String, Object> hyperparameters =
                checkpoints.addTo(record.config().trainerHyperparameters(), record.config(), samples);
        if (record.config().saveSteps() != null) {
            hyperparameters.put("save_steps", record.config().saveSteps());
        }
        if (validates) {
            hyperparameters.put("eval_steps", evalSteps(record.config(), samples));
        }
        job.put("hyperparameters", hyperparameters);
        job.put("merge", record.merge());
        job.put("resume_from", resumeFrom != null ? resumeFrom : startOf(record));
        if (record.config().worldSize() > 1) {
            job.put("distributed", distributed(record.config()));
        }
        if (!record.config().reportTo().isEmpty()) {
            job.put("report_to", record.config().reportTo());
        }
        return job;
    }

    /** The rendezvous port {@code job.json} names; an executor that picks its own sets {@code SAGE_MASTER_PORT}. */
    static final int DEFAULT_MASTER_PORT = 29500;

    /**
     * The {@code distributed} block of a run over {@code nodes × gpus} processes (only when that is more than one):
     * this node is rank 0 and the master on the loopback; on Kubernetes, where one {@code job.json} serves every pod,
     * the pods' {@code SAGE_NODE_RANK}/{@code SAGE_MASTER_ADDR}/{@code SAGE_MASTER_PORT} win over these values, and the
     * local executor sets {@code SAGE_MASTER_PORT} to a port free when the trainer starts.
     */
    static Map<String, Object> distributed(TrainingConfig config) {
        Map<String, Object> block = new LinkedHashMap<>();
        block.put("nnodes", config.nodes());
        block.put("nproc_per_node", config.gpus());
        block.put("parallelism", config.parallelism().wire());
        block.put("master_addr", "127.0.0.1");
        block.put("master_port", DEFAULT_MASTER_PORT);
        block.put("node_rank", 0);
        return block;
    }

    /**
     * {@code resume_from} of an attempt that starts without a checkpoint: on Kubernetes {@value #LATEST} (the trainer
     * takes its newest complete checkpoint, or starts fresh when there is none), because the cluster may run the same
     * {@code job.json} again - a Kueue preemption suspends the Job, its pod checkpoints on SIGTERM, and a new pod
     * starts once the Job is admitted again; a local trainer never runs twice on one {@code job.json}: {@code null}.
     */
    private static String startOf(TaskRecord record) {
        return KubernetesExecutor.NAME.equals(record.executor()) ? LATEST : null;
    }

    /**
     * {@code eval_steps} of a run: the task's own, else about ten evaluations a run ({@link Checkpoints#estimatedSteps}
     * ÷ 10, at least 1); the trainer also evaluates at the last step.
     */
    static int evalSteps(TrainingConfig config, long samples) {
        if (config.evalSteps() != null) {
            return config.evalSteps();
        }
        long steps = Checkpoints.estimatedSteps(config, samples);
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, Math.round(steps / 10.0)));
    }

    /**
     * Saves and publishes the next attempt of {@code ended} (failed, cancelled, paused, or a run that just died), from
     * its latest checkpoint when {@code fromCheckpoint}; it joins the queue at once, or at {@code resumeAt} (an
     * automatic resume's backoff). A storage failure is thrown as {@code storage_error} and changes nothing.
     *
     * @param why what the log line says after "attempt N: "
     */
    TaskRecord start(TaskRecord ended, boolean fromCheckpoint, String why, Instant resumeAt) {
        String id = ended.taskId();
        Path dir = changes.store().dir(id);
        Retries.Checkpoint checkpoint =
                fromCheckpoint ? Retries.latestCheckpoint(dir).orElse(null) : null;
        TaskRecord next;
        try {
            if (checkpoint == null) {
                Retries.setCheckpointsAside(dir, ended.attempt());
            }
            ProgressTracker resumed =
                    Retries.restartProgress(dir, ended.attempt(), checkpoint == null ? -1 : checkpoint.step());
            next = TaskTransitions.retried(ended, queue.nextSeq(), checkpoint == null ? null : resumed);
            if (resumeAt != null) {
                next = TaskTransitions.resumingAt(next, resumeAt, why);
            }
            AtomicFiles.writeJson(
                    dir.resolve(TaskLifecycle.JOB_FILE),
                    jobSpec(next, dir, checkpoint == null ? null : checkpoint.path()));
            log(
                    dir,
                    "attempt " + next.attempt() + ": " + why + "; "
                            + (checkpoint == null
                                    ? "from the start"
                                    : "from " + checkpoint.path() + " (step " + checkpoint.step() + ")")
                            + (resumeAt == null ? "" : ", at " + resumeAt));
        } catch (IOException e) {
            throw TaskChanges.storageError(e);
        }
        changes.saveOrFail(next);
        changes.publish(TaskEvent.Kind.STATE_CHANGED, next);
        enqueue(next);
        dispatch.run();
        return next;
    }

    /**
     * Puts a queued task into the queue, now or (an automatic resume waiting out its backoff) at its time; the caller
     * dispatches (a task that joins later is dispatched then).
     */
    void enqueue(TaskRecord queued) {
        if (queued.resumeAt() == null) {
            queue.add(queued.taskId(), queued.priority(), queued.queueSeq());
            return;
        }
        long delay =
                Math.max(0, Duration.between(Instant.now(), queued.resumeAt()).toMillis());
        try {
            timer.schedule(() -> join(queued.taskId(), queued.resumeAt()), delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debugf("service stopping; %s joins the queue at the next start", queued.taskId());
        }
    }

    /** The backoff of an automatic resume is over: the task joins the queue (unless it was paused or cancelled since). */
    private void join(String id, Instant resumeAt) {
        synchronized (changes.lock(id)) {
            TaskRecord record = changes.store().get(id).orElse(null);
            if (record == null || !record.status().waiting() || !resumeAt.equals(record.resumeAt())) {
                return;
            }
            TaskRecord joined = TaskTransitions.joined(record);
            if (!changes.saveAndPublish(joined, TaskEvent.Kind.STATE_CHANGED)) {
                try {
                    timer.schedule(() -> join(id, resumeAt), RETRY.toMillis(), TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException e) {
                    LOG.debugf("service stopping; %s joins the queue at the next start", id);
                }
                return;
            }
            enqueue(joined);
        }
        dispatch.run();
    }

    private static void log(Path dir, String line) throws IOException {
        Files.writeString(
                dir.resolve(TrainerLogTail.FILE),
                "[finetune-service " + Instant.now() + "] " + line + "\n",
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND,
                LinkOption.NOFOLLOW_LINKS);
    }
}
