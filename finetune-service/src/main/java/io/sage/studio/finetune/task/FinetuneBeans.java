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

/** Wires the task machinery from configuration and starts it with the application. */
@Singleton
public class FinetuneBeans {

    private static final Logger LOG = Logger.getLogger(FinetuneBeans.class);
    private static final Duration TELEMETRY_WAIT = Duration.ofSeconds(3);

    @Produces
    @Singleton
    TaskExecutor executor(FinetuneConfig config, Instance<LocalExecutor> local, Instance<KubernetesExecutor> kubernetes) {
        return config.executor() == FinetuneConfig.ExecutorKind.KUBERNETES ? kubernetes.get() : local.get();
    }

    @Produces
    @Singleton
    TaskManager manager(StudioHome home, TaskExecutor executor, DatasetService datasets, WarningsProvider advisor,
            @All List<TaskListener> listeners, FinetuneConfig config) {
        TaskStore store = new TaskStore(home.finetuneDir(), AtomicFiles::write);
        return new TaskManager(store, executor, datasets, advisor, listeners, new TaskManager.Settings(
                config.progressInterval(), config.progressPoll(), config.rescanInterval(), config.logsTailLines(),
                config.maxQueuedPerOwner()));
    }

    void dispose(@Disposes TaskManager manager) {
        manager.close();
    }

    /**
     * Recovers the tasks at start. The local executor hands out GPUs from telemetry, so it first lets the
     * telemetry view catch up (briefly: without Kafka it goes on as if no GPU were known).
     */
    void onStart(@Observes StartupEvent event, TaskManager manager, DatasetService datasets, FinetuneConfig config,
            Instance<TelemetryGpuInventory> telemetry) throws Exception {
        datasets.removeLeftovers();
        if (config.executor() == FinetuneConfig.ExecutorKind.LOCAL && config.local().onePerGpu()
                && !telemetry.get().awaitCaughtUp(TELEMETRY_WAIT)) {
            LOG.warnf("GPU telemetry not read within %s; tasks start without a GPU assignment until it is", TELEMETRY_WAIT);
        }
        manager.start();
    }
}
