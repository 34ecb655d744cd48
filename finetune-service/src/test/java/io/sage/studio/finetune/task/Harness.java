package io.sage.studio.finetune.task;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.events.TaskEvent;
import io.sage.studio.finetune.GpuFixtures;
import io.sage.studio.finetune.api.TaskViewCache;
import io.sage.studio.finetune.artifact.Download;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.sage.studio.finetune.dataset.DatasetService;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskRequest;
import io.sage.studio.finetune.executor.InstanceIdentity;
import io.sage.studio.finetune.executor.local.LocalExecutor;
import io.sage.studio.finetune.gpu.GpuInventory;
import io.sage.studio.finetune.queue.TaskQueue;

/**
 * The task engine with the real local executor over a temporary studio home, running the stand-in trainer
 * ({@code testing/fake-trainer/fake_trainer.py}) as real processes. Several harnesses over the same home
 * simulate restarts of the service.
 */
final class Harness implements AutoCloseable {

    static final Path FAKE_TRAINER = Path.of("..", "testing", "fake-trainer", "fake_trainer.py")
            .toAbsolutePath()
            .normalize();

    /** One published change. */
    record Event(TaskEvent.Kind kind, Task task, long revision) {}

    final StudioHome home;
    final TaskStore store;
    final TaskViewCache views;
    final TaskEngine engine;
    final TaskLifecycle tasks;
    final List<Event> events = new CopyOnWriteArrayList<>();
    /** Flip to make every metadata write fail like a full disk. */
    final AtomicBoolean diskFull = new AtomicBoolean();

    Harness(Path root, Map<String, String> env, int concurrency, List<GpuTelemetryEvent> gpus) throws IOException {
        this(root, "python3 " + FAKE_TRAINER, env, concurrency, gpus);
    }

    Harness(Path root, String command, Map<String, String> env, int concurrency, List<GpuTelemetryEvent> gpus)
            throws IOException {
        this(root, command, env, concurrency, gpus, Integer.MAX_VALUE);
    }

    Harness(
            Path root,
            String command,
            Map<String, String> env,
            int concurrency,
            List<GpuTelemetryEvent> gpus,
            int maxQueuedPerOwner)
            throws IOException {
        this(root, command, env, concurrency, gpus, maxQueuedPerOwner, Checkpoints.defaults(), AutoResume.off());
    }

    /** The stand-in trainer with these checkpoint and automatic-resume settings, one task at a time. */
    Harness(Path root, Map<String, String> env, Checkpoints checkpoints, AutoResume autoResume) throws IOException {
        this(root, "python3 " + FAKE_TRAINER, env, 1, List.of(), Integer.MAX_VALUE, checkpoints, autoResume);
    }

    Harness(
            Path root,
            String command,
            Map<String, String> env,
            int concurrency,
            List<GpuTelemetryEvent> gpus,
            int maxQueuedPerOwner,
            Checkpoints checkpoints,
            AutoResume autoResume)
            throws IOException {
        this.home = StudioHome.at(root);
        this.store = new TaskStore(home.finetuneDir(), (target, content) -> {
            if (diskFull.get()) {
                throw new IOException("No space left on device");
            }
            AtomicFiles.write(target, content);
        });
        GpuInventory inventory = new GpuInventory() {
            @Override
            public List<GpuTelemetryEvent> localGpus() {
                return gpus;
            }

            @Override
            public List<GpuTelemetryEvent> allGpus() {
                return gpus;
            }
        };
        LocalExecutor executor =
                new LocalExecutor(local(command, concurrency, env), inventory, InstanceIdentity.of(home));
        DatasetService datasets = new DatasetService(home, datasetLimits());
        TaskQueue queue = new TaskQueue();
        this.views = new TaskViewCache(store, queue, 20);
        this.engine = new TaskEngine(
                store,
                queue,
                executor,
                datasets,
                request -> List.of(),
                views,
                List.of((kind, task, revision) -> events.add(new Event(kind, task, revision))),
                new TaskEngine.Settings(
                        Duration.ofMillis(200),
                        Duration.ofMillis(20),
                        Duration.ofMillis(300),
                        maxQueuedPerOwner,
                        checkpoints,
                        autoResume));
        this.tasks = engine.lifecycle();
        engine.start();
    }

    Harness(Path root, Map<String, String> env) throws IOException {
        this(root, env, 1, List.of());
    }

    /** A small raw dataset in the home's datasets area; returns its path. */
    Path dataset(int samples) throws IOException {
        Path file = home.datasetsDir().resolve("chat-" + samples + ".jsonl");
        Files.createDirectories(file.getParent());
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < samples; i++) {
            lines.append("{\"instruction\":\"q")
                    .append(i)
                    .append("\",\"output\":\"a")
                    .append(i)
                    .append("\"}\n");
        }
        Files.writeString(file, lines);
        return file;
    }

    static TaskRequest request(String model, Path dataset) {
        return request(model, dataset, null);
    }

    static TaskRequest request(String model, Path dataset, Integer priority) {
        return new TaskRequest(
                model, dataset.toString(), 1, 2, 1, 2e-4, 256, null, null, 4, null, null, null, true, priority, null);
    }

    Task task(String id) {
        return views.get(id);
    }

    /** What {@code GET …/download} streams for a task. */
    Download download(String id, String artifact) {
        return Download.of(tasks.record(id), tasks.taskDir(id), artifact);
    }

    List<Event> eventsOf(String id) {
        return events.stream().filter(e -> e.task().taskId().equals(id)).toList();
    }

    @Override
    public void close() {
        engine.close();
    }

    static FinetuneConfig.Local local(String command, int concurrency, Map<String, String> env) {
        return new LocalSettings(
                command, concurrency, true, Optional.empty(), Duration.ofSeconds(1), env, List.of("FAKE_TRAINER_*"));
    }

    static FinetuneConfig.Datasets datasetLimits() {
        return new DatasetLimits(1 << 20, 1 << 16, 20);
    }

    /** Local executor settings for tests. */
    record LocalSettings(
            String trainerCommand,
            int concurrency,
            boolean onePerGpu,
            Optional<String> gpuNode,
            Duration cancelGrace,
            Map<String, String> env,
            List<String> passEnv)
            implements FinetuneConfig.Local {

        @Override
        public Duration gpuReservationAfter() {
            return Duration.ofMinutes(10);
        }
    }

    /** Dataset limits for tests. */
    record DatasetLimits(long maxBytes, int maxRecordBytes, int maxErrors) implements FinetuneConfig.Datasets {

        @Override
        public int validationThreads() {
            return 2;
        }
    }

    /** Telemetry of an NVIDIA L4 (24 GiB, 20 free) at {@code index} on {@code node-a}, the stand-in node's GPUs. */
    static GpuTelemetryEvent l4Gpu(int index) {
        return GpuFixtures.gpu("node-a", index, "NVIDIA L4", 24L << 30, 20L << 30);
    }
}
