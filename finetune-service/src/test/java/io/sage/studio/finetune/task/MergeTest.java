package io.sage.studio.finetune.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.sage.studio.common.error.StudioException;
import io.sage.studio.events.StudioJson;
import io.sage.studio.finetune.domain.MergeRun;
import io.sage.studio.finetune.domain.MergeState;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskRequest;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.domain.TrainerPhase;

/**
 * Merging a completed LoRA task's adapter ({@code POST …/merge}) with the local executor and the stand-in trainer's
 * {@code merge} subcommand as real processes.
 */
class MergeTest {

    private static final Duration LONG = Duration.ofSeconds(60);
    private static final Map<String, String> FAST =
            Map.of("FAKE_TRAINER_STEP_DELAY", "0.01", "FAKE_TRAINER_STEPS", "6");

    @TempDir
    Path tmp;

    private static TaskRequest request(Path data, String method, boolean merge, String suffix) {
        return new TaskRequest(
                "Qwen/Qwen2.5-0.5B-Instruct",
                data.toString(),
                1,
                2,
                1,
                2e-4,
                256,
                null,
                method,
                4,
                null,
                null,
                null,
                merge,
                null,
                suffix);
    }

    /** A LoRA task trained without merging, completed. */
    private static Task trained(Harness h, String suffix) throws IOException {
        Task task = h.tasks.create(request(h.dataset(4), "lora", false, suffix), "alice");
        await().atMost(LONG).until(() -> h.task(task.taskId()).status() == TaskStatus.COMPLETED);
        assertThat(h.task(task.taskId()).artifacts()).containsOnlyKeys("lora");
        return h.task(task.taskId());
    }

    private static MergeRun merge(Harness h, String id) {
        return h.store.get(id).orElseThrow().mergeRun();
    }

    private static MergeState state(Harness h, String id) {
        MergeRun run = merge(h, id);
        return run == null ? null : run.state();
    }

    private static String code(Runnable call) {
        try {
            call.run();
        } catch (StudioException e) {
            return e.code();
        }
        throw new AssertionError("no error");
    }

    @Test
    void aLoraTaskTrainedWithoutMergeIsMergedIntoMergedModelAndStaysCompleted() throws IOException {
        try (Harness h = new Harness(tmp, FAST)) {
            Task task = trained(h, null);
            Path dir = Path.of(task.outputDir());

            Task accepted = h.tasks.merge(task.taskId(), "alice", false);
            assertThat(accepted.status()).isEqualTo(TaskStatus.COMPLETED);
            assertThat(state(h, task.taskId())).isIn(MergeState.QUEUED, MergeState.RUNNING, MergeState.SUCCEEDED);

            await().atMost(LONG).until(() -> state(h, task.taskId()) == MergeState.SUCCEEDED);
            Task merged = h.task(task.taskId());
            assertThat(merged.status()).isEqualTo(TaskStatus.COMPLETED);
            assertThat(merged.phase()).isEqualTo(TrainerPhase.DONE);
            assertThat(merged.artifacts())
                    .containsEntry("lora", dir.resolve("lora").toString())
                    .containsEntry("merged_model", dir.resolve("merged_model").toString());
            assertThat(dir.resolve("merged_model/config.json")).exists();
            assertThat(dir.resolve(".merged_model.partial")).doesNotExist();
            assertThat(Files.readString(dir.resolve("merge_logs.txt")))
                    .contains("starting merge")
                    .contains("[fake-trainer]");
            MergeRun run = merge(h, task.taskId());
            assertThat(run.requestedBy()).isEqualTo("alice");
            assertThat(run.startedAt()).isNotNull();
            assertThat(run.finishedAt()).isAfterOrEqualTo(run.startedAt());
            assertThat(run.errorCode()).isNull();

            List<Harness.Event> events = h.eventsOf(task.taskId());
            assertThat(events).extracting(e -> e.task().phase()).contains(TrainerPhase.MERGING);
            assertThat(events).extracting(e -> e.task().status()).last().isEqualTo(TaskStatus.COMPLETED);
            assertThat(events).extracting(Harness.Event::revision).isSorted().doesNotHaveDuplicates();

            JsonNode meta = StudioJson.mapper()
                    .readTree(dir.resolve(TaskStore.META_FILE).toFile());
            assertThat(meta.get("status").asText()).isEqualTo("completed");
            assertThat(meta.at("/merge_run/state").asText()).isEqualTo("succeeded");
            assertThat(meta.at("/artifacts/merged_model").asText()).isEqualTo("merged_model");
        }
    }

    @Test
    void mergesThatCannotBeAreRefusedWithTheirCodes() throws IOException {
        try (Harness h = new Harness(tmp, Map.of("FAKE_TRAINER_STEP_DELAY", "0.05", "FAKE_TRAINER_STEPS", "400"))) {
            assertThat(code(() -> h.tasks.merge("ft-nope", "alice", false))).isEqualTo("task_not_found");

            Task running = h.tasks.create(request(h.dataset(4), "lora", false, null), "alice");
            assertThat(code(() -> h.tasks.merge(running.taskId(), "alice", false)))
                    .isEqualTo("task_not_completed");
            h.tasks.cancel(running.taskId());
            await().atMost(LONG).until(() -> h.task(running.taskId()).status() == TaskStatus.CANCELLED);
            assertThat(code(() -> h.tasks.merge(running.taskId(), "alice", false)))
                    .isEqualTo("task_not_completed");
        }
        try (Harness h = new Harness(tmp, FAST)) {
            Task full = h.tasks.create(request(h.dataset(4), "full", false, null), "alice");
            await().atMost(LONG).until(() -> h.task(full.taskId()).status() == TaskStatus.COMPLETED);
            assertThat(code(() -> h.tasks.merge(full.taskId(), "alice", false))).isEqualTo("nothing_to_merge");

            Task mergedAtTraining = h.tasks.create(request(h.dataset(4), "lora", true, null), "alice");
            await().atMost(LONG).until(() -> h.task(mergedAtTraining.taskId()).status() == TaskStatus.COMPLETED);
            assertThat(code(() -> h.tasks.merge(mergedAtTraining.taskId(), "alice", false)))
                    .isEqualTo("already_merged");
            h.tasks.merge(mergedAtTraining.taskId(), "alice", true);
            await().atMost(LONG).until(() -> state(h, mergedAtTraining.taskId()) == MergeState.SUCCEEDED);
            assertThat(h.task(mergedAtTraining.taskId()).artifacts()).containsKeys("lora", "merged_model");
        }
    }

    @Test
    void oneMergeAtATimePerTaskAndItsTaskCannotBeDeletedMeanwhile() throws IOException {
        Map<String, String> env =
                Map.of("FAKE_TRAINER_STEP_DELAY", "0.01", "FAKE_TRAINER_STEPS", "6", "FAKE_TRAINER_MERGE_DELAY", "30");
        try (Harness h = new Harness(tmp, env)) {
            Task task = trained(h, null);
            h.tasks.merge(task.taskId(), "alice", false);
            await().atMost(LONG).until(() -> state(h, task.taskId()) == MergeState.RUNNING);
            assertThat(code(() -> h.tasks.merge(task.taskId(), "alice", true))).isEqualTo("merge_in_progress");
            assertThat(code(() -> h.tasks.delete(task.taskId()))).isEqualTo("task_active");
            assertThat(h.task(task.taskId()).phase()).isEqualTo(TrainerPhase.MERGING);

            Task cancelling = h.tasks.cancel(task.taskId());
            assertThat(cancelling.status()).isEqualTo(TaskStatus.COMPLETED);
            await().atMost(LONG).until(() -> state(h, task.taskId()) == MergeState.CANCELLED);
            Task after = h.task(task.taskId());
            assertThat(after.status()).isEqualTo(TaskStatus.COMPLETED);
            assertThat(after.artifacts()).containsOnlyKeys("lora");
            assertThat(Path.of(after.outputDir()).resolve("merged_model")).doesNotExist();
            assertThat(merge(h, task.taskId()).cancelRequested()).isTrue();

            h.tasks.delete(task.taskId());
            assertThat(h.store.get(task.taskId())).isEmpty();
        }
    }

    @Test
    void aFailingMergeIsFailedWithTheTrainersErrorAndTheTaskStaysCompleted() throws IOException {
        try (Harness h = new Harness(tmp, FAST)) {
            Task task = trained(h, "merge-fails");
            h.tasks.merge(task.taskId(), "alice", false);
            await().atMost(LONG).until(() -> state(h, task.taskId()) == MergeState.FAILED);
            MergeRun run = merge(h, task.taskId());
            assertThat(run.errorCode()).isEqualTo("internal");
            assertThat(run.errorMessage()).contains("merge-fails");
            Task after = h.task(task.taskId());
            assertThat(after.status()).isEqualTo(TaskStatus.COMPLETED);
            assertThat(after.errorMessage()).isNull();
            assertThat(after.artifacts()).containsOnlyKeys("lora");
            assertThat(Path.of(after.outputDir()).resolve(".merged_model.partial"))
                    .doesNotExist();
        }
    }

    @Test
    void aMergeHoldsAnExecutorSlotSoAQueuedTrainingWaitsForIt() throws IOException {
        Map<String, String> env =
                Map.of("FAKE_TRAINER_STEP_DELAY", "0.01", "FAKE_TRAINER_STEPS", "6", "FAKE_TRAINER_MERGE_DELAY", "30");
        try (Harness h = new Harness(tmp, env)) {
            Task task = trained(h, null);
            h.tasks.merge(task.taskId(), "alice", false);
            await().atMost(LONG).until(() -> state(h, task.taskId()) == MergeState.RUNNING);
            Task waiting = h.tasks.create(request(h.dataset(4), "lora", false, null), "alice");
            await().during(Duration.ofMillis(600))
                    .atMost(LONG)
                    .until(() -> h.task(waiting.taskId()).status() == TaskStatus.QUEUED);

            h.tasks.cancel(task.taskId());
            await().atMost(LONG).until(() -> h.task(waiting.taskId()).status() == TaskStatus.COMPLETED);
            assertThat(state(h, task.taskId())).isEqualTo(MergeState.CANCELLED);
        }
    }

    @Test
    void aRestartedServiceReadoptsARunningMergeAndSettlesOneThatDiedMeanwhile() throws IOException {
        Map<String, String> env =
                Map.of("FAKE_TRAINER_STEP_DELAY", "0.01", "FAKE_TRAINER_STEPS", "6", "FAKE_TRAINER_MERGE_DELAY", "2");
        Harness first = new Harness(tmp, env);
        Task adopted = trained(first, null);
        Task lost = trained(first, null);
        first.tasks.merge(adopted.taskId(), "alice", false);
        await().atMost(LONG).until(() -> merge(first, adopted.taskId()).run() != null);
        long pid = merge(first, adopted.taskId()).run().pid();
        first.close(); // the service dies; its merge does not

        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                .isTrue();
        try (Harness second = new Harness(tmp, env)) {
            assertThat(state(second, adopted.taskId())).isEqualTo(MergeState.RUNNING);
            await().atMost(LONG).until(() -> state(second, adopted.taskId()) == MergeState.SUCCEEDED);
            assertThat(second.task(adopted.taskId()).artifacts()).containsKey("merged_model");

            second.tasks.merge(lost.taskId(), "alice", false);
            await().atMost(LONG)
                    .until(() -> state(second, lost.taskId()) == MergeState.RUNNING
                            && merge(second, lost.taskId()).run() != null);
            long lostPid = merge(second, lost.taskId()).run().pid();
            second.close();
            ProcessHandle.of(lostPid).ifPresent(p -> {
                p.destroyForcibly();
                p.onExit().join();
            });
        }
        try (Harness third = new Harness(tmp, env)) {
            MergeRun run = merge(third, lost.taskId());
            assertThat(run.state()).isEqualTo(MergeState.FAILED);
            assertThat(run.errorCode()).isEqualTo("trainer_lost");
            assertThat(run.errorMessage()).contains("not watching");
            assertThat(third.task(lost.taskId()).status()).isEqualTo(TaskStatus.COMPLETED);
            assertThat(third.task(lost.taskId()).phase()).isEqualTo(TrainerPhase.DONE);
        }
    }

    @Test
    void aQueuedMergeSurvivesARestartAndAMetaFileWithUnknownFieldsStillReads() throws IOException {
        Path dir;
        String id;
        try (Harness first = new Harness(tmp, FAST)) {
            Task task = trained(first, null);
            id = task.taskId();
            dir = Path.of(task.outputDir());
        }
        // As a newer version might write it: a queued merge with fields this one does not know.
        Path meta = dir.resolve(TaskStore.META_FILE);
        ObjectNode stored = (ObjectNode) StudioJson.mapper().readTree(meta.toFile());
        ObjectNode mergeRun = stored.putObject("merge_run");
        mergeRun.put("state", "queued");
        mergeRun.put("requested_by", "alice");
        mergeRun.put("priority_hint", 3);
        stored.put("some_future_field", true);
        Files.write(meta, StudioJson.mapper().writeValueAsBytes(stored));

        try (Harness second = new Harness(tmp, FAST)) {
            await().atMost(LONG).until(() -> state(second, id) == MergeState.SUCCEEDED);
            assertThat(second.task(id).artifacts()).containsKeys("lora", "merged_model");
        }

        // A state this version does not know reads as no merge at all.
        ObjectNode again = (ObjectNode) StudioJson.mapper().readTree(meta.toFile());
        ((ObjectNode) again.get("merge_run")).put("state", "paused_by_a_future_version");
        Files.write(meta, StudioJson.mapper().writeValueAsBytes(again));
        try (Harness third = new Harness(tmp, FAST)) {
            assertThat(merge(third, id)).isNull();
            assertThat(third.task(id).status()).isEqualTo(TaskStatus.COMPLETED);
        }
    }
}
