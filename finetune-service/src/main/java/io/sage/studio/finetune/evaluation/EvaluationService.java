package io.sage.studio.finetune.evaluation;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.sage.studio.common.auth.ServiceToken;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.events.StudioJson;
import io.sage.studio.finetune.FinetuneError;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.sage.studio.finetune.dataset.DatasetService;
import io.sage.studio.finetune.dataset.ValidationSplit;
import io.sage.studio.finetune.domain.Ids;
import io.sage.studio.finetune.domain.TaskRecord;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.storage.StorageErrors;
import io.sage.studio.finetune.task.TaskEngine;
import io.sage.studio.finetune.task.TaskEvaluations;

/**
 * Evaluation runs ({@code POST /api/finetune/tasks/{id}/evaluations}): a completed task's model and a baseline are
 * served side by side by name through the serving layer (nothing switched for users), both answer the same samples,
 * and the answers are scored against the references ({@link TextMetrics}), optionally compared by a judge
 * ({@link PairwiseJudge}) and given a verdict ({@link VerdictRule}). One run at a time, at most
 * {@code evaluation.max-queued} queued or running; within a run {@code evaluation.concurrency} requests in flight,
 * each with {@code evaluation.request-timeout}. Every change rewrites {@code evaluations/<id>.json} atomically and
 * updates the task's {@code evaluation} summary (a task event). At start, runs that were queued or running when the
 * service stopped are marked failed ({@code service_restarted}): the user's credentials they were asked with are
 * held in memory only, so they cannot be resumed faithfully. See DESIGN.md (Evaluations).
 */
@Singleton
public class EvaluationService {

    private static final Logger LOG = Logger.getLogger(EvaluationService.class);
    static final String DIR = "evaluations";
    static final String VALIDATION_FILE = "validation.jsonl";
    private static final Pattern ID = Pattern.compile("ev-[0-9]{8}-[0-9]{6}-[0-9a-f]{6}");
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(1);
    /** Evaluations a task's list shows at most (newest first). */
    static final int MAX_LISTED = 100;

    private final TaskEvaluations tasks;
    private final DatasetService datasets;
    private final ServingClient serving;
    private final FinetuneConfig.Evaluation config;
    private final Semaphore slots;
    private final ExecutorService runner = Executors.newSingleThreadExecutor(daemon("finetune-evaluation"));
    private final ExecutorService requests;

    @Inject
    public EvaluationService(
            TaskEngine engine, DatasetService datasets, FinetuneConfig config, ServiceToken serviceToken) {
        this(
                engine.evaluations(),
                datasets,
                config.evaluation(),
                new HttpServing(
                        config.evaluation().chatUrl(),
                        config.evaluation().openaiUrl(),
                        config.evaluation().serveTimeout(),
                        config.evaluation().requestTimeout(),
                        serviceToken.authorization()));
    }

    EvaluationService(
            TaskEvaluations tasks, DatasetService datasets, FinetuneConfig.Evaluation config, ServingClient serving) {
        this.tasks = tasks;
        this.datasets = datasets;
        this.config = config;
        this.serving = serving;
        this.slots = new Semaphore(config.maxQueued());
        this.requests = Executors.newFixedThreadPool(config.concurrency(), daemon("finetune-evaluation-request"));
    }

    /** What a queued run needs besides its file: held in memory only (the caller's credentials among them). */
    private record Job(
            String taskId,
            String evaluationId,
            String baselineModel,
            Path samplesFile,
            boolean heldOut,
            String authorization,
            EvaluationRequest.JudgeRequest judge) {}

    /**
     * Queues an evaluation of a completed task.
     *
     * @param authorization the caller's {@code Authorization} header (serving a model needs the caller's rights), or
     *                      {@code null}
     */
    public Evaluation start(String taskId, EvaluationRequest.Valid request, String authorization) {
        TaskRecord task = tasks.task(taskId)
                .orElseThrow(() -> new StudioException(FinetuneError.TASK_NOT_FOUND, "no task " + taskId));
        if (task.status() != TaskStatus.COMPLETED) {
            throw new StudioException(
                    FinetuneError.TASK_NOT_COMPLETED,
                    "task " + taskId + " is " + task.status().wire() + "; only a completed task can be evaluated");
        }
        if (!slots.tryAcquire()) {
            throw new StudioException(
                    FinetuneError.EVALUATION_QUEUE_FULL,
                    config.maxQueued() + " evaluations are queued or running (studio.finetune.evaluation.max-queued);"
                            + " try again when one has finished");
        }
        boolean queued = false;
        try {
            String id = Ids.newId("ev", null);
            Path taskDir = tasks.dir(taskId);
            Path dir = taskDir.resolve(DIR);
            Files.createDirectories(dir);
            String source;
            Path file;
            boolean heldOut = false;
            if (request.evalFile() != null) {
                DatasetService.Source given = datasets.resolve(request.evalFile(), "eval_file");
                source = "eval_file";
                file = dir.resolve(id + ".eval.jsonl");
                try {
                    datasets.materialize(given, file);
                } catch (IOException e) {
                    Files.deleteIfExists(file);
                    throw StorageErrors.of(e, "the evaluation set", "no evaluation was started");
                }
            } else if (EvalSamples.exists(taskDir.resolve(VALIDATION_FILE))) {
                source = "validation_split";
                file = taskDir.resolve(VALIDATION_FILE);
            } else if (EvalSamples.exists(taskDir.resolve(ValidationSplit.HELD_OUT_FILE))) {
                source = "held_out";
                file = taskDir.resolve(ValidationSplit.HELD_OUT_FILE);
            } else {
                // A task created before tasks held rows out, or one too small to spare any: every 20th row of what
                // it trained on, named for what it is.
                source = "training_sample";
                file = taskDir.resolve(DatasetService.DATA_FILE);
                heldOut = true;
            }
            int count = EvalSamples.exists(file)
                    ? EvalSamples.read(file, request.maxSamples(), heldOut).size()
                    : 0;
            if (count == 0) {
                throw StudioException.invalidField(
                        "eval_file",
                        "the " + source.replace('_', ' ') + " has no sample that ends with an assistant answer;"
                                + " name an eval_file");
            }
            EvaluationRequest.JudgeRequest judge = request.judge();
            Evaluation evaluation = new Evaluation(
                    id,
                    taskId,
                    Evaluation.QUEUED,
                    request.baseline(),
                    null,
                    null,
                    new Evaluation.EvalSet(source, count),
                    request.maxSamples(),
                    request.maxTokens(),
                    judge == null ? null : new Evaluation.JudgeView(judge.baseUrl(), judge.model()),
                    new Evaluation.Progress(0, count),
                    Instant.now(),
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null);
            write(evaluation);
            String baselineModel =
                    EvaluationRequest.BASE.equals(request.baseline()) ? task.modelName() : request.baseline();
            Job job = new Job(taskId, id, baselineModel, file, heldOut, authorization, judge);
            runner.execute(() -> run(job));
            queued = true;
            tasks.summarize(taskId, evaluation.summary());
            return evaluation;
        } catch (IOException e) {
            throw StorageErrors.of(e, "the evaluation", "no evaluation was started");
        } catch (RejectedExecutionException e) {
            throw new StudioException(FinetuneError.EVALUATION_QUEUE_FULL, "the service is stopping");
        } finally {
            if (!queued) {
                slots.release();
            }
        }
    }

    /** A task's evaluations, newest first, without their samples. */
    public List<Evaluation> list(String taskId) {
        tasks.task(taskId).orElseThrow(() -> new StudioException(FinetuneError.TASK_NOT_FOUND, "no task " + taskId));
        List<Evaluation> all = new ArrayList<>();
        for (Path file : files(tasks.dir(taskId).resolve(DIR))) {
            Evaluation e = read(file);
            if (e != null) {
                all.add(e.withoutSamples());
            }
        }
        all.sort(Comparator.comparing(Evaluation::createdAt, Comparator.nullsLast(Comparator.reverseOrder()))
                .thenComparing(Evaluation::evaluationId, Comparator.reverseOrder()));
        return all.size() > MAX_LISTED ? List.copyOf(all.subList(0, MAX_LISTED)) : all;
    }

    /** One evaluation with its samples; 404 {@code evaluation_not_found}. */
    public Evaluation get(String taskId, String evaluationId) {
        tasks.task(taskId).orElseThrow(() -> new StudioException(FinetuneError.TASK_NOT_FOUND, "no task " + taskId));
        Evaluation e = ID.matcher(evaluationId).matches()
                ? read(tasks.dir(taskId).resolve(DIR).resolve(evaluationId + ".json"))
                : null;
        if (e == null) {
            throw new StudioException(
                    FinetuneError.EVALUATION_NOT_FOUND, "task " + taskId + " has no evaluation " + evaluationId);
        }
        return e;
    }

    /**
     * After the tasks are loaded (this observer runs after the task engine's start): runs left queued or running by
     * the previous process are marked failed; completed and failed ones stay as they are.
     */
    void recover(@Observes @Priority(3000) StartupEvent event) {
        for (TaskRecord task : tasks.all()) {
            for (Path file : files(tasks.dir(task.taskId()).resolve(DIR))) {
                Evaluation e = read(file);
                if (e == null || !e.active()) {
                    continue;
                }
                Evaluation failed = e.failed(
                        "service_restarted",
                        "the finetune-service stopped while this evaluation was " + e.state() + "; start it again",
                        Instant.now());
                if (save(failed)) {
                    tasks.summarize(task.taskId(), failed.summary());
                    LOG.infof(
                            "task %s: evaluation %s marked failed (service restarted)",
                            task.taskId(), e.evaluationId());
                }
            }
        }
    }

    @PreDestroy
    void close() {
        runner.shutdownNow();
        requests.shutdownNow();
    }

    private void run(Job job) {
        try {
            Evaluation current = get(job.taskId(), job.evaluationId());
            current = execute(job, current);
            if (save(current)) {
                tasks.summarize(job.taskId(), current.summary());
            }
        } catch (StudioException e) {
            LOG.infof("evaluation %s of %s: %s", job.evaluationId(), job.taskId(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.errorf(e, "evaluation %s of %s failed unexpectedly", job.evaluationId(), job.taskId());
            fail(
                    job,
                    "evaluation_error",
                    "the evaluation failed unexpectedly (" + e.getClass().getSimpleName() + ")");
        } finally {
            slots.release();
        }
    }

    private void fail(Job job, String code, String message) {
        try {
            Evaluation failed = get(job.taskId(), job.evaluationId()).failed(code, message, Instant.now());
            if (save(failed)) {
                tasks.summarize(job.taskId(), failed.summary());
            }
        } catch (StudioException e) {
            LOG.debugf("evaluation %s: its task is gone", job.evaluationId());
        }
    }

    /** Serves both arms, asks them, scores the answers; the run's end state (completed or failed). */
    private Evaluation execute(Job job, Evaluation queued) {
        Evaluation running = queued.running(null, null, Instant.now());
        if (!save(running)) {
            return running.failed("storage_error", "the evaluation's file cannot be written", Instant.now());
        }
        tasks.summarize(job.taskId(), running.summary());
        String apiKey = null;
        if (job.judge() != null && job.judge().apiKeyEnv() != null) {
            apiKey = System.getenv(job.judge().apiKeyEnv());
            if (apiKey == null) {
                return running.failed(
                        "judge_key_missing",
                        "the environment variable " + job.judge().apiKeyEnv() + " of the finetune-service is not set",
                        Instant.now());
            }
        }
        String candidateServed;
        String baselineServed;
        try {
            candidateServed = serving.serve(job.taskId(), job.authorization());
            baselineServed = serving.serve(job.baselineModel(), job.authorization());
        } catch (ServingClient.ServingException e) {
            return running.failed(e.code(), e.getMessage(), Instant.now());
        }
        running = running.running(candidateServed, baselineServed, running.startedAt());
        save(running);
        List<EvalSamples.Item> items;
        try {
            items = EvalSamples.read(job.samplesFile(), queued.maxSamples(), job.heldOut());
        } catch (IOException e) {
            return running.failed("eval_set_unreadable", "the evaluation set cannot be read", Instant.now());
        }
        if (items.isEmpty()) {
            return running.failed("eval_set_empty", "the evaluation set has no usable sample", Instant.now());
        }
        running = new Evaluation(
                running.evaluationId(),
                running.taskId(),
                running.state(),
                running.baseline(),
                running.candidateModel(),
                running.baselineModel(),
                new Evaluation.EvalSet(running.evalSet().source(), items.size()),
                running.maxSamples(),
                running.maxTokens(),
                running.judge(),
                new Evaluation.Progress(0, items.size()),
                running.createdAt(),
                running.startedAt(),
                null,
                null,
                null,
                null,
                null,
                null);
        save(running);
        PairwiseJudge judge = job.judge() == null
                ? null
                : new PairwiseJudge(job.judge().baseUrl(), job.judge().model(), apiKey, config.requestTimeout());
        Random order = new Random(job.evaluationId().hashCode());
        ProgressWriter progress = new ProgressWriter(running);
        List<Future<Scored>> futures = new ArrayList<>(items.size());
        for (EvalSamples.Item item : items) {
            boolean candidateFirst = order.nextBoolean();
            futures.add(requests.submit(() -> {
                ServingClient.Answer c = ask(candidateServed, item, queued.maxTokens());
                ServingClient.Answer b = ask(baselineServed, item, queued.maxTokens());
                String winner = judge == null
                        ? null
                        : judge.compare(item.lastUser(), item.reference(), c.text(), b.text(), candidateFirst);
                progress.oneMore();
                return new Scored(item, c, b, winner);
            }));
        }
        List<Scored> scored = new ArrayList<>(items.size());
        try {
            for (Future<Scored> f : futures) {
                scored.add(f.get());
            }
            progress.close();
        } catch (ExecutionException e) {
            progress.close();
            futures.forEach(f -> f.cancel(true));
            if (e.getCause() instanceof ServingClient.ServingException s) {
                return running.failed(s.code(), s.getMessage(), Instant.now());
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            progress.close();
            futures.forEach(f -> f.cancel(true));
            Thread.currentThread().interrupt();
            return running.failed(
                    "service_restarted", "the finetune-service stopped during the evaluation", Instant.now());
        }
        return complete(running, scored, judge != null);
    }

    /** One generation, tried twice. */
    private ServingClient.Answer ask(String served, EvalSamples.Item item, int maxTokens)
            throws ServingClient.ServingException {
        try {
            return serving.complete(served, item.prompt(), maxTokens);
        } catch (ServingClient.ServingException first) {
            return serving.complete(served, item.prompt(), maxTokens);
        }
    }

    private record Scored(
            EvalSamples.Item item, ServingClient.Answer candidate, ServingClient.Answer baseline, String winner) {}

    static Evaluation complete(Evaluation running, List<Scored> scored, boolean judged) {
        List<Evaluation.Sample> samples = new ArrayList<>(scored.size());
        for (Scored s : scored) {
            samples.add(new Evaluation.Sample(
                    s.item().lastUser(),
                    s.item().reference(),
                    s.candidate().text(),
                    s.baseline().text(),
                    s.winner()));
        }
        Evaluation.Metrics candidate = metrics(scored, true, judged);
        Evaluation.Metrics baseline = metrics(scored, false, judged);
        VerdictRule.Decision decision = VerdictRule.decide(candidate, baseline);
        return running.completed(new Evaluation.MetricsPair(candidate, baseline), samples, decision, Instant.now());
    }

    private static Evaluation.Metrics metrics(List<Scored> scored, boolean candidate, boolean judged) {
        double em = 0;
        double f1 = 0;
        double rouge = 0;
        double chars = 0;
        double latency = 0;
        double wins = 0;
        for (Scored s : scored) {
            ServingClient.Answer a = candidate ? s.candidate() : s.baseline();
            String reference = s.item().reference();
            em += TextMetrics.exactMatch(a.text(), reference);
            f1 += TextMetrics.tokenF1(a.text(), reference);
            rouge += TextMetrics.rougeL(a.text(), reference);
            chars += a.text().length();
            latency += a.latencyMs();
            String me = candidate ? "candidate" : "baseline";
            wins += me.equals(s.winner()) ? 1 : "tie".equals(s.winner()) ? 0.5 : 0;
        }
        int n = scored.size();
        return new Evaluation.Metrics(
                n, em / n, f1 / n, rouge / n, chars / n, latency / n, null, null, judged ? wins / n : null);
    }

    /** Counts answered samples and rewrites the file at most once per {@link #PROGRESS_EVERY}. */
    private final class ProgressWriter {

        private final Evaluation running;
        private final AtomicInteger done = new AtomicInteger();
        private long lastWrite = System.nanoTime();
        private boolean closed;

        ProgressWriter(Evaluation running) {
            this.running = running;
        }

        void oneMore() {
            int now = done.incrementAndGet();
            synchronized (this) {
                long t = System.nanoTime();
                if (!closed && t - lastWrite >= PROGRESS_EVERY.toNanos()) {
                    lastWrite = t;
                    save(running.withProgress(now));
                }
            }
        }

        /** No more writes: the run's end is written next. */
        synchronized void close() {
            closed = true;
        }
    }

    private Path file(Evaluation e) {
        return tasks.dir(e.taskId()).resolve(DIR).resolve(e.evaluationId() + ".json");
    }

    private void write(Evaluation e) throws IOException {
        AtomicFiles.writeJson(file(e), e);
    }

    /** Writes the file; {@code false} (logged) when it cannot be written or the task is gone. */
    private boolean save(Evaluation e) {
        if (tasks.task(e.taskId()).isEmpty()) {
            return false;
        }
        try {
            write(e);
            return true;
        } catch (IOException ex) {
            LOG.errorf(
                    "evaluation %s of %s: cannot write its file (%s)", e.evaluationId(), e.taskId(), ex.getMessage());
            return false;
        }
    }

    private static Evaluation read(Path file) {
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                return null;
            }
            return StudioJson.mapper().readValue(file.toFile(), Evaluation.class);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            LOG.warnf(
                    "skipping unreadable evaluation file %s: %s",
                    file.getFileName(), e.getClass().getSimpleName());
            return null;
        }
    }

    /** The {@code <id>.json} files of an evaluations folder (none when it does not exist). */
    private static List<Path> files(Path dir) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "ev-*.json")) {
            for (Path p : stream) {
                String name = p.getFileName().toString();
                if (ID.matcher(name.substring(0, name.length() - ".json".length()))
                        .matches()) {
                    out.add(p);
                }
            }
        } catch (IOException e) {
            LOG.warnf("cannot list %s: %s", dir, e.getMessage());
        }
        return out;
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread thread = new Thread(r, name + "-" + n.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
