package io.sage.studio.finetune.task;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import io.sage.studio.finetune.dataset.DatasetService;
import io.sage.studio.finetune.executor.TaskExecutor;
import io.sage.studio.finetune.queue.TaskQueue;

/**
 * Assembles the task machinery and owns its threads: the {@link TaskLifecycle} callers use, the
 * {@link TaskDispatcher} (queue → executor, one dispatcher thread), the {@link RunFollower} (progress files and
 * executor reports, one poller thread that also rescans the task folders) and the {@link TaskRecovery} run at
 * start. See {@code DESIGN.md} beside this module for the state machine and the recovery rules.
 */
public final class TaskEngine implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(TaskEngine.class);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    /** Timing, quota, checkpoint and automatic-resume settings. */
    public record Settings(
            Duration progressInterval,
            Duration progressPoll,
            Duration rescanInterval,
            int maxQueuedPerOwner,
            Checkpoints checkpoints,
            AutoResume autoResume) {

        /** Default checkpoints, no automatic resume (tests of one attempt). */
        public Settings(
                Duration progressInterval, Duration progressPoll, Duration rescanInterval, int maxQueuedPerOwner) {
            this(
                    progressInterval,
                    progressPoll,
                    rescanInterval,
                    maxQueuedPerOwner,
                    Checkpoints.defaults(),
                    AutoResume.off());
        }

        public Settings(Duration progressInterval, Duration progressPoll, Duration rescanInterval) {
            this(progressInterval, progressPoll, rescanInterval, Integer.MAX_VALUE);
        }
    }

    private final TaskStore store;
    private final TaskQueue queue;
    private final TaskExecutor executor;
    private final Settings settings;
    private final ScheduledExecutorService dispatcherThread =
            Executors.newSingleThreadScheduledExecutor(daemon("finetune-dispatcher"));
    private final ScheduledExecutorService poller =
            Executors.newSingleThreadScheduledExecutor(daemon("finetune-progress"));
    private final TaskDispatcher dispatcher;
    private final RunFollower follower;
    private final TaskRecovery recovery;
    private final MergeRuns merges;
    private final TaskLifecycle lifecycle;
    private final TaskEvaluations evaluations;

    public TaskEngine(
            TaskStore store,
            TaskQueue queue,
            TaskExecutor executor,
            DatasetService datasets,
            WarningsProvider advisor,
            TaskViews views,
            List<TaskListener> listeners,
            Settings settings) {
        this.store = store;
        this.queue = queue;
        this.executor = executor;
        this.settings = settings;
        TaskChanges changes = new TaskChanges(store, views, listeners);
        NextAttempts attempts = new NextAttempts(changes, queue, settings.checkpoints(), poller, this::dispatch);
        this.follower = new RunFollower(
                changes, settings.progressInterval(), poller, this::dispatch, attempts, settings.autoResume());
        this.dispatcher = new TaskDispatcher(changes, queue, executor, follower, dispatcherThread);
        this.merges = new MergeRuns(changes, executor, poller, this::dispatch);
        this.dispatcher.merges(merges);
        this.recovery = new TaskRecovery(changes, queue, attempts, executor, follower, merges, this::dispatch);
        this.evaluations = new TaskEvaluations(changes);
        this.lifecycle = new TaskLifecycle(
                changes,
                queue,
                executor,
                datasets,
                advisor,
                dispatcher,
                recovery,
                merges,
                attempts,
                settings.maxQueuedPerOwner());
    }

    /** What callers do to tasks. */
    public TaskLifecycle lifecycle() {
        return lifecycle;
    }

    /** The task side of evaluation runs (their folder, the task's summary). */
    public TaskEvaluations evaluations() {
        return evaluations;
    }

    /** Loads every task folder, re-adopts or settles tasks that were running, rebuilds the queue, starts work. */
    public void start() throws IOException {
        int loaded = recovery.start();
        follower.start(settings.progressPoll());
        long rescan = settings.rescanInterval().toMillis();
        poller.scheduleWithFixedDelay(recovery::rescan, rescan, rescan, TimeUnit.MILLISECONDS);
        LOG.infof(
                "%d task(s) loaded from %s, %d queued, executor %s",
                loaded, store.root(), queue.size(), executor.name());
        dispatch();
    }

    private void dispatch() {
        dispatcher.kick();
    }

    /** Stops the service's threads. Trainers keep running; the next start re-adopts them. */
    @Override
    public void close() {
        dispatcherThread.shutdown();
        poller.shutdown();
        try {
            if (!dispatcherThread.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)
                    || !poller.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("task threads did not finish in time; stopping them");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        dispatcherThread.shutdownNow();
        poller.shutdownNow();
        executor.close();
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread thread = new Thread(r, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
