package io.sage.studio.finetune.domain;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * A task as stored in {@code studio_finetune/<task_id>/finetune_meta.json} (written atomically on every change).
 * Paths of artifacts are relative to the task directory so a copied task directory stays valid.
 *
 * <p>Immutable; change it with {@link #toBuilder()}.
 *
 * @param datasetPath   absolute path of the task's normalised {@code dataset.jsonl} (re-derived on load)
 * @param datasetSource what the user named as {@code dataset_file}: a dataset id or a path
 * @param outputDir     the task directory, where the trainer writes {@code lora/} and {@code merged_model/} (re-derived on load)
 * @param phase         refines preparing/training (see {@link TrainerPhase})
 * @param statusMessage a sentence about the current state, e.g. why a Kubernetes pod waits
 * @param errorCode     the trainer's (or the service's) error code when failed
 * @param priority      higher runs first; FIFO ({@code queueSeq}) within a priority
 * @param owner         who created the task (the caller's name); only they or an admin may cancel or delete it
 * @param artifacts     artifact kind ({@code lora}, {@code merged_model}) to its path relative to the task directory
 * @param revision      grows by one with every change (the events' revision)
 * @param cancelRequested a cancel was asked for while the trainer ran
 * @param run           how to find the launched trainer again; {@code null} before launch
 * @param mergeRun      the last merge of the adapter after training ({@code POST …/merge}); {@code null} when none
 * @param clonedFrom    the task this one was cloned from ({@code POST …/clone}); {@code null} otherwise
 * @param attempt       the current attempt, 1-based; grows by one with each {@code POST …/retry} (older files: 1)
 * @param attempts      the attempts that ended before the current one, oldest first (older files: none)
 * @param pauseRequested a pause was asked for while the trainer ran; it is {@code paused} once the trainer has exited
 * @param resumeAt      a queued attempt that the service started after a trainer died waits until then before it joins
 *                      the queue (the automatic resume's backoff); {@code null} otherwise
 * @param evalLoss      the latest validation loss the trainer reported ({@code eval} records); {@code null} without a
 *                      validation set
 * @param bestEvalLoss  the lowest validation loss so far; the trainer keeps that checkpoint as the artifacts
 * @param bestStep      the step of {@code bestEvalLoss}
 * @param evaluation    the latest evaluation run against a baseline ({@code POST …/evaluations}); {@code null} when none
 * @param trackers      the experiment trackers the trainer reported (TensorBoard, MLflow, W&amp;B: where the curves
 *                      are); empty before the trainer started, and in older files
 * @param traceparent   the W3C traceparent of the create call when tracing was on ({@code null} otherwise): the task's
 *                      events ({@code ce_traceparent}) and its trainer ({@code TRACEPARENT}) join that trace, also
 *                      after a restart
 * @param tracestate    the W3C tracestate beside {@code traceparent}; {@code null} when empty
 */
@RegisterForReflection
public record TaskRecord(
        int schemaVersion,
        String taskId,
        String modelName,
        String datasetPath,
        String datasetSource,
        String outputDir,
        TaskStatus status,
        TrainerPhase phase,
        String statusMessage,
        double progress,
        double currentEpoch,
        int totalEpochs,
        long step,
        long totalSteps,
        Double loss,
        Double learningRate,
        Long etaSeconds,
        Instant createdAt,
        Instant startedAt,
        Instant completedAt,
        String errorCode,
        String errorMessage,
        TrainingMethod method,
        boolean merge,
        TrainingConfig config,
        int priority,
        String suffix,
        String owner,
        Map<String, String> artifacts,
        List<TaskWarning> warnings,
        String executor,
        long queueSeq,
        long revision,
        boolean cancelRequested,
        RunHandle run,
        MergeRun mergeRun,
        String clonedFrom,
        int attempt,
        List<Attempt> attempts,
        boolean pauseRequested,
        Instant resumeAt,
        Double evalLoss,
        Double bestEvalLoss,
        Long bestStep,
        EvaluationSummary evaluation,
        List<TrackerLink> trackers,
        String traceparent,
        String tracestate) {

    public static final int SCHEMA_VERSION = 1;

    public TaskRecord {
        artifacts = artifacts == null ? Map.of() : Map.copyOf(artifacts);
        mergeRun = mergeRun == null || mergeRun.state() == null ? null : mergeRun;
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
        attempt = Math.max(1, attempt);
        attempts = attempts == null ? List.of() : List.copyOf(attempts);
        trackers = trackers == null ? List.of() : List.copyOf(trackers);
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Mutable copy of a record; {@link #build()} makes the next immutable version. */
    public static final class Builder {

        private int schemaVersion;
        private String taskId;
        private String modelName;
        private String datasetPath;
        private String datasetSource;
        private String outputDir;
        private TaskStatus status;
        private TrainerPhase phase;
        private String statusMessage;
        private double progress;
        private double currentEpoch;
        private int totalEpochs;
        private long step;
        private long totalSteps;
        private Double loss;
        private Double learningRate;
        private Long etaSeconds;
        private Instant createdAt;
        private Instant startedAt;
        private Instant completedAt;
        private String errorCode;
        private String errorMessage;
        private TrainingMethod method;
        private boolean merge;
        private TrainingConfig config;
        private int priority;
        private String suffix;
        private String owner;
        private Map<String, String> artifacts;
        private List<TaskWarning> warnings;
        private String executor;
        private long queueSeq;
        private long revision;
        private boolean cancelRequested;
        private RunHandle run;
        private MergeRun mergeRun;
        private String clonedFrom;
        private int attempt = 1;
        private List<Attempt> attempts;
        private boolean pauseRequested;
        private Instant resumeAt;
        private Double evalLoss;
        private Double bestEvalLoss;
        private Long bestStep;
        private EvaluationSummary evaluation;
        private List<TrackerLink> trackers;
        private String traceparent;
        private String tracestate;

        private Builder() {
            this.schemaVersion = SCHEMA_VERSION;
        }

        private Builder(TaskRecord r) {
            this.schemaVersion = r.schemaVersion;
            this.taskId = r.taskId;
            this.modelName = r.modelName;
            this.datasetPath = r.datasetPath;
            this.datasetSource = r.datasetSource;
            this.outputDir = r.outputDir;
            this.status = r.status;
            this.phase = r.phase;
            this.statusMessage = r.statusMessage;
            this.progress = r.progress;
            this.currentEpoch = r.currentEpoch;
            this.totalEpochs = r.totalEpochs;
            this.step = r.step;
            this.totalSteps = r.totalSteps;
            this.loss = r.loss;
            this.learningRate = r.learningRate;
            this.etaSeconds = r.etaSeconds;
            this.createdAt = r.createdAt;
            this.startedAt = r.startedAt;
            this.completedAt = r.completedAt;
            this.errorCode = r.errorCode;
            this.errorMessage = r.errorMessage;
            this.method = r.method;
            this.merge = r.merge;
            this.config = r.config;
            this.priority = r.priority;
            this.suffix = r.suffix;
            this.owner = r.owner;
            this.artifacts = r.artifacts;
            this.warnings = r.warnings;
            this.executor = r.executor;
            this.queueSeq = r.queueSeq;
            this.revision = r.revision;
            this.cancelRequested = r.cancelRequested;
            this.run = r.run;
            this.mergeRun = r.mergeRun;
            this.clonedFrom = r.clonedFrom;
            this.attempt = r.attempt;
            this.attempts = r.attempts;
            this.pauseRequested = r.pauseRequested;
            this.resumeAt = r.resumeAt;
            this.evalLoss = r.evalLoss;
            this.bestEvalLoss = r.bestEvalLoss;
            this.bestStep = r.bestStep;
            this.evaluation = r.evaluation;
            this.trackers = r.trackers;
            this.traceparent = r.traceparent;
            this.tracestate = r.tracestate;
        }

        public Builder schemaVersion(int value) {
            this.schemaVersion = value;
            return this;
        }

        public Builder taskId(String value) {
            this.taskId = value;
            return this;
        }

        public Builder modelName(String value) {
            this.modelName = value;
            return this;
        }

        public Builder datasetPath(String value) {
            this.datasetPath = value;
            return this;
        }

        public Builder datasetSource(String value) {
            this.datasetSource = value;
            return this;
        }

        public Builder outputDir(String value) {
            this.outputDir = value;
            return this;
        }

        public Builder status(TaskStatus value) {
            this.status = value;
            return this;
        }

        public Builder phase(TrainerPhase value) {
            this.phase = value;
            return this;
        }

        public Builder statusMessage(String value) {
            this.statusMessage = value;
            return this;
        }

        public Builder progress(double value) {
            this.progress = value;
            return this;
        }

        public Builder currentEpoch(double value) {
            this.currentEpoch = value;
            return this;
        }

        public Builder totalEpochs(int value) {
            this.totalEpochs = value;
            return this;
        }

        public Builder step(long value) {
            this.step = value;
            return this;
        }

        public Builder totalSteps(long value) {
            this.totalSteps = value;
            return this;
        }

        public Builder loss(Double value) {
            this.loss = value;
            return this;
        }

        public Builder learningRate(Double value) {
            this.learningRate = value;
            return this;
        }

        public Builder etaSeconds(Long value) {
            this.etaSeconds = value;
            return this;
        }

        public Builder createdAt(Instant value) {
            this.createdAt = value;
            return this;
        }

        public Builder startedAt(Instant value) {
            this.startedAt = value;
            return this;
        }

        public Builder completedAt(Instant value) {
            this.completedAt = value;
            return this;
        }

        public Builder errorCode(String value) {
            this.errorCode = value;
            return this;
        }

        public Builder errorMessage(String value) {
            this.errorMessage = value;
            return this;
        }

        public Builder method(TrainingMethod value) {
            this.method = value;
            return this;
        }

        public Builder merge(boolean value) {
            this.merge = value;
            return this;
        }

        public Builder config(TrainingConfig value) {
            this.config = value;
            return this;
        }

        public Builder priority(int value) {
            this.priority = value;
            return this;
        }

        public Builder suffix(String value) {
            this.suffix = value;
            return this;
        }

        public Builder owner(String value) {
            this.owner = value;
            return this;
        }

        public Builder artifacts(Map<String, String> value) {
            this.artifacts = value;
            return this;
        }

        public Builder warnings(List<TaskWarning> value) {
            this.warnings = value;
            return this;
        }

        public Builder executor(String value) {
            this.executor = value;
            return this;
        }

        public Builder queueSeq(long value) {
            this.queueSeq = value;
            return this;
        }

        public Builder revision(long value) {
            this.revision = value;
            return this;
        }

        public Builder cancelRequested(boolean value) {
            this.cancelRequested = value;
            return this;
        }

        public Builder run(RunHandle value) {
            this.run = value;
            return this;
        }

        public Builder mergeRun(MergeRun value) {
            this.mergeRun = value;
            return this;
        }

        public Builder clonedFrom(String value) {
            this.clonedFrom = value;
            return this;
        }

        public Builder attempt(int value) {
            this.attempt = value;
            return this;
        }

        public Builder attempts(List<Attempt> value) {
            this.attempts = value;
            return this;
        }

        public Builder pauseRequested(boolean value) {
            this.pauseRequested = value;
            return this;
        }

        public Builder resumeAt(Instant value) {
            this.resumeAt = value;
            return this;
        }

        public Builder evalLoss(Double value) {
            this.evalLoss = value;
            return this;
        }

        public Builder bestEvalLoss(Double value) {
            this.bestEvalLoss = value;
            return this;
        }

        public Builder bestStep(Long value) {
            this.bestStep = value;
            return this;
        }

        public Builder evaluation(EvaluationSummary value) {
            this.evaluation = value;
            return this;
        }

        public Builder traceparent(String value) {
            this.traceparent = value;
            return this;
        }

        public Builder tracestate(String value) {
            this.tracestate = value;
            return this;
        }

        public Builder trackers(List<TrackerLink> value) {
            this.trackers = value;
            return this;
        }

        public TaskRecord build() {
            return new TaskRecord(
                    schemaVersion,
                    taskId,
                    modelName,
                    datasetPath,
                    datasetSource,
                    outputDir,
                    status,
                    phase,
                    statusMessage,
                    progress,
                    currentEpoch,
                    totalEpochs,
                    step,
                    totalSteps,
                    loss,
                    learningRate,
                    etaSeconds,
                    createdAt,
                    startedAt,
                    completedAt,
                    errorCode,
                    errorMessage,
                    method,
                    merge,
                    config,
                    priority,
                    suffix,
                    owner,
                    artifacts,
                    warnings,
                    executor,
                    queueSeq,
                    revision,
                    cancelRequested,
                    run,
                    mergeRun,
                    clonedFrom,
                    attempt,
                    attempts,
                    pauseRequested,
                    resumeAt,
                    evalLoss,
                    bestEvalLoss,
                    bestStep,
                    evaluation,
                    trackers,
                    traceparent,
                    tracestate);
        }
    }
}
