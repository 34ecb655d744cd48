package io.sage.studio.finetune.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.common.error.HttpStatuses;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.events.StudioJson;
import io.sage.studio.events.TaskEvent;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.domain.TrainerPhase;

/** The task engine with the local executor and the stand-in trainer as real processes. */
class LocalTrainingTest {

    private static final Duration LONG = Duration.ofSeconds(60);
    private static final Map<String, String> FAST =
            Map.of("FAKE_TRAINER_STEP_DELAY", "0.02", "FAKE_TRAINER_STEPS", "12");

    @TempDir
    Path tmp;

    @Test
    void aTaskRunsToCompletedWithRealProgressLossAndArtifacts() throws IOException {
        // 12 steps of 80 ms: longer than the 200 ms coalescing interval, so progress events go out between phases.
        try (Harness h = new Harness(tmp, Map.of("FAKE_TRAINER_STEP_DELAY", "0.08", "FAKE_TRAINER_STEPS", "12"))) {
            Task created = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", h.dataset(8)), "alice");
            assertThat(created.status()).isEqualTo(TaskStatus.QUEUED);

            await().atMost(LONG).until(() -> h.task(created.taskId()).status() == TaskStatus.COMPLETED);
            Task done = h.task(created.taskId());
            assertThat(done.progress()).isEqualTo(100.0);
            assertThat(done.step()).isEqualTo(12);
            assertThat(done.totalSteps()).isEqualTo(12);
            assertThat(done.latestLoss()).isNotNull().isPositive().isLessThan(2.5);
            assertThat(done.loss()).isEqualTo(done.latestLoss());
            assertThat(done.currentEpoch()).isEqualTo(done.totalEpochs());
            assertThat(done.learningRate()).isNotNull();
            assertThat(done.phase()).isEqualTo(TrainerPhase.DONE);
            assertThat(done.startedAt()).isNotNull();
            assertThat(done.completedAt()).isAfterOrEqualTo(done.startedAt());
            Path dir = Path.of(done.outputDir());
            assertThat(done.artifacts())
                    .containsEntry("lora", dir.resolve("lora").toString())
                    .containsEntry("merged_model", dir.resolve("merged_model").toString());
            assertThat(dir.resolve("lora/adapter_config.json")).exists();
            assertThat(done.logs()).anySatisfy(line -> assertThat(line).contains("[fake-trainer]"));

            List<Harness.Event> events = h.eventsOf(created.taskId());
            assertThat(events.get(0).kind()).isEqualTo(TaskEvent.Kind.CREATED);
            assertThat(events).extracting(e -> e.task().status()).contains(TaskStatus.PREPARING, TaskStatus.TRAINING);
            assertThat(events).extracting(Harness.Event::kind).contains(TaskEvent.Kind.PROGRESS);
            assertThat(events.get(events.size() - 1).task().status()).isEqualTo(TaskStatus.COMPLETED);
            assertThat(events).extracting(Harness.Event::revision).isSorted().doesNotHaveDuplicates();
            assertThat(events)
                    .filteredOn(e ->
                            e.task().status() == TaskStatus.TRAINING && e.task().latestLoss() != null)
                    .isNotEmpty();

            JsonNode meta = StudioJson.mapper()
                    .readTree(dir.resolve(TaskStore.META_FILE).toFile());
            assertThat(meta.get("status").asText()).isEqualTo("completed");
            assertThat(meta.get("revision").asLong())
                    .isEqualTo(events.get(events.size() - 1).revision());
        }
    }

    @Test
    void aTrainerCrashFailsTheTaskWithTheTrainersError() throws IOException {
        try (Harness h = new Harness(tmp, FAST)) {
            Task task = h.tasks.create(Harness.request("org/model-fail-me", h.dataset(8)), "alice");
            await().atMost(LONG).until(() -> h.task(task.taskId()).status() == TaskStatus.FAILED);
            Task failed = h.task(task.taskId());
            assertThat(failed.errorCode()).isEqualTo("internal");
            assertThat(failed.errorMessage()).contains("simulated trainer crash");
            assertThat(failed.artifacts()).isEmpty();
        }
    }

    @Test
    void aSilentNonZeroExitFailsTheTaskWithItsStatusAndLastLogLine() throws IOException {
        Map<String, String> env = Map.of(
                "FAKE_TRAINER_STEP_DELAY", "0.02", "FAKE_TRAINER_STEPS", "12", "FAKE_TRAINER_MODE", "crash_silent");
        try (Harness h = new Harness(tmp, env)) {
            Task task = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", h.dataset(8)), "alice");
            await().atMost(LONG).until(() -> h.task(task.taskId()).status() == TaskStatus.FAILED);
            Task failed = h.task(task.taskId());
            assertThat(failed.errorCode()).isEqualTo("trainer_exit");
            assertThat(failed.errorMessage())
                    .startsWith("the trainer exited with status 3")
                    .contains("dying without a word");
        }
    }

    @Test
    void aTrainerCommandThatCannotRunFailsTheTaskAtLaunch() throws IOException {
        try (Harness h = new Harness(tmp, "'/no such/trainer' --x", FAST, 1, List.of())) {
            Task task = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", h.dataset(2)), "alice");
            await().atMost(LONG).until(() -> h.task(task.taskId()).status().terminal());
            Task failed = h.task(task.taskId());
            assertThat(failed.status()).isEqualTo(TaskStatus.FAILED);
            assertThat(failed.errorMessage()).contains("/no such/trainer");
        }
    }

    @Test
    void cancellingAQueuedTaskNeverStartsItsTrainerAndTheRunningOneStopsOnSigterm() throws IOException {
        try (Harness h = new Harness(tmp, Map.of("FAKE_TRAINER_STEP_DELAY", "0.05", "FAKE_TRAINER_STEPS", "400"))) {
            Path data = h.dataset(4);
            Task running = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", data), "alice");
            Task waiting = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", data), "alice");
            await().atMost(LONG)
                    .until(() -> h.task(running.taskId()).status() == TaskStatus.TRAINING
                            && h.task(running.taskId()).step() > 0);
            assertThat(h.task(waiting.taskId()).queuePosition()).isEqualTo(1);

            Task cancelledQueued = h.tasks.cancel(waiting.taskId());
            assertThat(cancelledQueued.status()).isEqualTo(TaskStatus.CANCELLED);
            assertThat(cancelledQueued.queuePosition()).isNull();
            assertThatThrownBy(() -> h.tasks.cancel(waiting.taskId()))
                    .isInstanceOfSatisfying(
                            StudioException.class,
                            e -> assertThat(HttpStatuses.of(e)).isEqualTo(409));

            Task cancelling = h.tasks.cancel(running.taskId());
            assertThat(cancelling.cancelRequested()).isTrue();
            await().atMost(LONG).until(() -> h.task(running.taskId()).status() == TaskStatus.CANCELLED);
            Path runningDir = Path.of(running.outputDir());
            assertThat(Files.readString(runningDir.resolve("progress.jsonl"))).contains("\"code\":\"cancelled\"");
            assertThat(runningDir.resolve("checkpoints")).isDirectory();
            assertThat(Path.of(waiting.outputDir()).resolve("progress.jsonl")).doesNotExist();
            assertThat(Files.readString(Path.of(waiting.outputDir()).resolve(TaskStore.META_FILE)))
                    .contains("cancelled");
        }
    }

    @Test
    void aTrainerThatIgnoresSigtermIsKilledAfterTheGracePeriod() throws IOException {
        Map<String, String> env = Map.of(
                "FAKE_TRAINER_STEP_DELAY", "0.05", "FAKE_TRAINER_STEPS", "400", "FAKE_TRAINER_MODE", "ignore_sigterm");
        try (Harness h = new Harness(tmp, env)) {
            Task task = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", h.dataset(4)), "alice");
            await().atMost(LONG).until(() -> h.task(task.taskId()).step() > 0);
            long pid = h.store.get(task.taskId()).orElseThrow().run().pid();
            Instant asked = Instant.now();
            h.tasks.cancel(task.taskId());
            await().atMost(LONG).until(() -> h.task(task.taskId()).status() == TaskStatus.CANCELLED);
            assertThat(Duration.between(asked, Instant.now())).isGreaterThanOrEqualTo(Duration.ofMillis(900));
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                    .isFalse();
        }
    }

    @Test
    void higherPriorityRunsFirstAndFifoWithinAPriority() throws IOException {
        try (Harness h = new Harness(tmp, Map.of("FAKE_TRAINER_STEP_DELAY", "0.02", "FAKE_TRAINER_STEPS", "40"))) {
            Path data = h.dataset(4);
            Task first = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", data), "alice");
            // The dispatcher starts tasks on its own thread: the one slot must be taken before the others queue.
            await().atMost(LONG).until(() -> h.task(first.taskId()).status() != TaskStatus.QUEUED);
            Task low = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", data, 0), "alice");
            Task later = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", data, 0), "alice");
            Task high = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", data, 7), "alice");
            assertThat(h.task(high.taskId()).queuePosition()).isEqualTo(1);
            assertThat(h.task(low.taskId()).queuePosition()).isEqualTo(2);
            assertThat(h.task(later.taskId()).queuePosition()).isEqualTo(3);

            await().atMost(LONG).until(() -> h.views.list().stream().allMatch(t -> t.status() == TaskStatus.COMPLETED));
            List<String> order = h.views.list().stream()
                    .sorted((a, b) -> a.startedAt().compareTo(b.startedAt()))
                    .map(Task::taskId)
                    .toList();
            assertThat(order).containsExactly(first.taskId(), high.taskId(), low.taskId(), later.taskId());
        }
    }

    @Test
    void oneTaskPerGpuWithCudaVisibleDevices() throws IOException {
        List<GpuTelemetryEvent> gpus = List.of(Harness.l4Gpu(0), Harness.l4Gpu(1));
        try (Harness h =
                new Harness(tmp, Map.of("FAKE_TRAINER_STEP_DELAY", "0.05", "FAKE_TRAINER_STEPS", "30"), 1, gpus)) {
            Path data = h.dataset(4);
            Task a = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", data), "alice");
            Task b = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", data), "alice");
            Task c = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", data), "alice");
            await().atMost(LONG)
                    .until(() -> h.task(a.taskId()).status().running()
                            && h.task(b.taskId()).status().running());
            assertThat(h.task(c.taskId()).status()).isEqualTo(TaskStatus.QUEUED);
            String logs = Files.readString(Path.of(a.outputDir()).resolve("logs.txt"))
                    + Files.readString(Path.of(b.outputDir()).resolve("logs.txt"));
            assertThat(logs).contains("CUDA_VISIBLE_DEVICES=0").contains("CUDA_VISIBLE_DEVICES=1");
            await().atMost(LONG).until(() -> h.task(c.taskId()).status() == TaskStatus.COMPLETED);
        }
    }

    @Test
    void modelNamesWithShellMetacharactersAreDataNeverCode() throws IOException {
        Path marker = tmp.resolve("pwned");
        String model = "a'b\"c; touch " + marker + " $(touch " + marker + ") `touch " + marker + "`\nrm -rf ~";
        try (Harness h = new Harness(tmp, FAST)) {
            Task task = h.tasks.create(Harness.request(model, h.dataset(4)), "alice");
            await().atMost(LONG).until(() -> h.task(task.taskId()).status().terminal());
            Path dir = Path.of(task.outputDir());
            assertThat(StudioJson.mapper()
                            .readTree(dir.resolve("job.json").toFile())
                            .get("base_model")
                            .asText())
                    .isEqualTo(model);
            assertThat(h.task(task.taskId()).modelName()).isEqualTo(model);
            assertThat(h.task(task.taskId()).status()).isEqualTo(TaskStatus.COMPLETED);
            assertThat(marker).doesNotExist();
        }
    }

    @Test
    void aRestartedServiceReadoptsItsRunningTrainerAndRunsTheQueuedTasksAfterwards() throws IOException {
        Map<String, String> env = Map.of("FAKE_TRAINER_STEP_DELAY", "0.05", "FAKE_TRAINER_STEPS", "60");
        Task running;
        Task queued;
        long pid;
        Harness first = new Harness(tmp, env);
        Path data = first.dataset(4);
        running = first.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", data), "alice");
        queued = first.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", data), "alice");
        await().atMost(LONG).until(() -> first.task(running.taskId()).step() > 2);
        pid = first.store.get(running.taskId()).orElseThrow().run().pid();
        first.close(); // the service dies; its trainer does not

        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                .isTrue();
        try (Harness second = new Harness(tmp, env)) {
            Task adopted = second.task(running.taskId());
            assertThat(adopted.status()).isEqualTo(TaskStatus.TRAINING);
            assertThat(adopted.step()).isGreaterThan(2);
            assertThat(second.task(queued.taskId()).status()).isEqualTo(TaskStatus.QUEUED);
            await().atMost(LONG).until(() -> second.task(running.taskId()).status() == TaskStatus.COMPLETED);
            assertThat(second.task(running.taskId()).artifacts()).containsKey("lora");
            await().atMost(LONG).until(() -> second.task(queued.taskId()).status() == TaskStatus.COMPLETED);
            assertThat(second.task(queued.taskId()).startedAt())
                    .isAfter(second.task(running.taskId()).startedAt());
        }
    }

    @Test
    void aTrainerThatFinishedWhileTheServiceWasDownGetsItsTrueOutcome() throws IOException {
        Map<String, String> env = Map.of("FAKE_TRAINER_STEP_DELAY", "0.05", "FAKE_TRAINER_STEPS", "20");
        Harness first = new Harness(tmp, env);
        Path data = first.dataset(4);
        Task ok = first.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", data), "alice");
        await().atMost(LONG).until(() -> first.task(ok.taskId()).status() == TaskStatus.TRAINING);
        long pid = first.store.get(ok.taskId()).orElseThrow().run().pid();
        first.close();
        ProcessHandle.of(pid).ifPresent(p -> p.onExit().join());

        try (Harness second = new Harness(tmp, env)) {
            Task settled = second.task(ok.taskId());
            assertThat(settled.status()).isEqualTo(TaskStatus.COMPLETED);
            assertThat(settled.step()).isEqualTo(20);
            assertThat(settled.artifacts()).containsKeys("lora", "merged_model");
        }
    }

    @Test
    void aDiskFullWhileWritingMetadataLeavesTheOldMetadataAndStateIntact() throws IOException {
        try (Harness h = new Harness(tmp, Map.of("FAKE_TRAINER_STEP_DELAY", "0.05", "FAKE_TRAINER_STEPS", "400"))) {
            Path data = h.dataset(4);
            Task running = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", data), "alice");
            Task queued = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", data), "alice");
            // the first one must have left the queue, or the second is still second in it
            await().atMost(LONG).until(() -> h.task(running.taskId()).status() == TaskStatus.TRAINING);
            Path meta = Path.of(queued.outputDir()).resolve(TaskStore.META_FILE);
            byte[] before = Files.readAllBytes(meta);

            h.diskFull.set(true);
            assertThatThrownBy(() -> h.tasks.cancel(queued.taskId()))
                    .isInstanceOfSatisfying(StudioException.class, e -> {
                        assertThat(HttpStatuses.of(e)).isEqualTo(507);
                        assertThat(e.code()).isEqualTo("storage_error");
                    });
            assertThat(Files.readAllBytes(meta)).isEqualTo(before);
            assertThat(h.task(queued.taskId()).status()).isEqualTo(TaskStatus.QUEUED);
            assertThat(h.task(queued.taskId()).queuePosition()).isEqualTo(1);

            h.diskFull.set(false);
            assertThat(h.tasks.cancel(queued.taskId()).status()).isEqualTo(TaskStatus.CANCELLED);
            h.tasks.cancel(running.taskId());
            await().atMost(LONG).until(() -> h.task(running.taskId()).status() == TaskStatus.CANCELLED);
        }
    }

    @Test
    void deleteRemovesAFinishedTaskAndItsFilesButRefusesAnActiveOne() throws IOException {
        try (Harness h = new Harness(tmp, Map.of("FAKE_TRAINER_STEP_DELAY", "0.05", "FAKE_TRAINER_STEPS", "400"))) {
            Task task = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", h.dataset(4)), "alice");
            assertThatThrownBy(() -> h.tasks.delete(task.taskId()))
                    .isInstanceOfSatisfying(
                            StudioException.class,
                            e -> assertThat(HttpStatuses.of(e)).isEqualTo(409));
            h.tasks.cancel(task.taskId());
            await().atMost(LONG).until(() -> h.task(task.taskId()).status() == TaskStatus.CANCELLED);
            h.tasks.delete(task.taskId());
            assertThat(Path.of(task.outputDir())).doesNotExist();
            assertThatThrownBy(() -> h.task(task.taskId()))
                    .isInstanceOfSatisfying(
                            StudioException.class,
                            e -> assertThat(HttpStatuses.of(e)).isEqualTo(404));
            assertThat(h.eventsOf(task.taskId()))
                    .last()
                    .extracting(Harness.Event::kind)
                    .isEqualTo(TaskEvent.Kind.DELETED);
        }
    }
}
