package io.sage.studio.finetune.task;

import java.time.Duration;
import java.util.List;

import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.quarkus.arc.All;
import io.quarkus.runtime.StartupEvent;
import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.sage.studio.finetune.dataset.DatasetService;
import io.sage.studio.finetune.executor.TaskExecutor;
import io.sage.studio.finetune.executor.kubernetes.KubernetesExecutor;
import io.sage.studio.finetune.executor.local.LocalExecutor;
import io.sage.studio.finetune.gpu.TelemetryGpuInventory;
import io.sage.studio.finetune.progress.LogFollower;
import io.sage.studio.finetune.queue.TaskQueue;

/** Wires the task machinery from configuration and starts it with the application. */
@Singleton
public class FinetuneBeans {

    private static final Logger LOG = Logger.getLogger(FinetuneBeans.class);
    private static final Duration TELEMETRY_WAIT = Duration.ofSeconds(3);

    @Produces
    @Singleton
    TaskExecutor executor(
            FinetuneConfig config, Instance<LocalExecutor> local, Instance<KubernetesExecutor> kubernetes) {
        return config.executor() == FinetuneConfig.ExecutorKind.KUBERNETES ? kubernetes.get() : local.get();
    }

    @Produces
    @Singleton
    TaskStore store(StudioHome home) {
        return new TaskStore(home.finetuneDir(), AtomicFiles::write);
    }

    @Produces
    @Singleton
    TaskQueue queue() {
        return new TaskQueue();
    }

    @Produces
    @Singleton
    TaskEngine engine(
            TaskStore store,
            TaskQueue queue,
            TaskExecutor executor,
            DatasetService datasets,
            WarningsProvider advisor,
            TaskViews views,
            @All List<TaskListener> listeners,
            FinetuneConfig config) {
        return new TaskEngine(
                store,
                queue,
                executor,
                datasets,
                advisor,
                views,
                listeners,
                new TaskEngine.Settings(
                        config.progressInterval(),
                        config.progressPoll(),
                        config.rescanInterval(),
                        config.maxQueuedPerOwner(),
                        new Checkpoints(config.saveSteps().orElse(null), config.saveTotalLimit()),
                        new AutoResume(config.maxAttempts(), config.resumeBackoff())));
    }

    void dispose(@Disposes TaskEngine engine) {
        engine.close();
    }

    @Produces
    @Singleton
    TaskLifecycle lifecycle(TaskEngine engine) {
        return engine.lifecycle();
    }

    @Produces
    @Singleton
    LogFollower logFollower() {
        return new LogFollower();
    }

    void dispose(@Disposes LogFollower follower) {
        follower.close();
    }

    /**
     * Recovers the tasks at start. The local executor hands out GPUs from telemetry, so it first lets the
     * telemetry view catch up (briefly: without Kafka it goes on as if no GPU were known).
     */
    void onStart(
            @Observes StartupEvent event,
            TaskEngine engine,
            DatasetService datasets,
            FinetuneConfig config,
            Instance<TelemetryGpuInventory> telemetry)
            throws Exception {
        datasets.removeLeftovers();
        if (config.executor() == FinetuneConfig.ExecutorKind.LOCAL
                && config.local().onePerGpu()
                && !telemetry.get().awaitCaughtUp(TELEMETRY_WAIT)) {
            LOG.warnf(
                    "GPU telemetry not read within %s; tasks start without a GPU assignment until it is",
                    TELEMETRY_WAIT);
        }
        engine.start();
    }
}
