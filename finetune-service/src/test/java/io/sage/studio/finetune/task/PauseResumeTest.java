package io.sage.studio.finetune.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.common.error.StudioException;
import io.sage.studio.events.StudioJson;
import io.sage.studio.finetune.domain.Attempt;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskStatus;

/**
 * Checkpoint cadence, pause and resume, and the automatic resume of a trainer that died, with the local executor and
 * the stand-in trainer as real processes (it checkpoints every {@code save_steps} and on SIGTERM, and continues from
 * {@code resume_from}).
 */
class PauseResumeTest {

    private static final Duration LONG = Duration.ofSeconds(60);
    /** 40 steps of 100 ms: time to pause or kill the trainer mid-run. */
    private static final Map<String, String> STEADY =
            Map.of("FAKE_TRAINER_STEP_DELAY", "0.1", "FAKE_TRAINER_STEPS", "40");

    @TempDir
    Path tmp;

    @Test
    void jobJsonAsksForACheckpointAboutEveryTenthOfTheRunAndKeepsThree() throws IOException {
        try (Harness h =
                new Harness(tmp, Map.of("FAKE_TRAINER_STEPS", "4"), Checkpoints.defaults(), AutoResume.off())) {
            // 200 samples, batch 2, 1 epoch: about 100 steps, a checkpoint every 10
            Task task = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", h.dataset(200)), "alice");
            JsonNode hp = job(h, task.taskId()).path("hyperparameters");
            assertThat(hp.path("save_steps").asInt()).isEqualTo(10);
            assertThat(hp.path("save_total_limit").asInt()).isEqualTo(3);
            await().atMost(LONG).until(() -> h.task(task.taskId()).status() == TaskStatus.COMPLETED);
        }
        try (Harness h = new Harness(
                tmp.resolve("fixed"), Map.of("FAKE_TRAINER_STEPS", "12"), new Checkpoints(5, 1), AutoResume.off())) {
            Task task = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", h.dataset(2)), "alice");
            assertThat(job(h, task.taskId())
                            .path("hyperparameters")
                            .path("save_steps")
                            .asInt())
                    .isEqualTo(5);
            await().atMost(LONG).until(() -> h.task(task.taskId()).status() == TaskStatus.COMPLETED);
            // saved at 5 and 10, and the trainer kept only the newest one
            try (var checkpoints =
                    Files.list(Path.of(h.task(task.taskId()).outputDir()).resolve("checkpoints"))) {
                assertThat(checkpoints.map(p -> p.getFileName().toString())).containsExactly("step-10");
            }
        }
    }

    @Test
    void aPausedTaskCheckpointsHoldsNoSlotAndResumesAtTheNextStep() throws IOException {
        try (Harness h = new Harness(tmp, STEADY, Checkpoints.defaults(), AutoResume.off())) {
            Task first = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", h.dataset(8)), "alice");
            String id = first.taskId();
            await().atMost(LONG).until(() -> h.task(id).step() >= 5);

            Task pausing = h.tasks.pause(id);
            assertThat(pausing.pauseRequested()).isTrue();
            await().atMost(LONG).until(() -> h.task(id).status() == TaskStatus.PAUSED);
            Task paused = h.task(id);
            assertThat(paused.pauseRequested()).isFalse();
            assertThat(paused.errorCode()).isNull();
            long pausedAt = paused.step();
            assertThat(pausedAt).isGreaterThanOrEqualTo(5);
            Retries.Checkpoint checkpoint =
                    Retries.latestCheckpoint(Path.of(paused.outputDir())).orElseThrow();
            assertThat(checkpoint.step()).isGreaterThanOrEqualTo(pausedAt);
            assertThat(h.tasks.pause(id).status()).isEqualTo(TaskStatus.PAUSED); // again: nothing changes

            // the paused task holds no slot: the next task runs to its end meanwhile (one slot)
            Task second = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", h.dataset(4)), "alice");
            await().atMost(LONG).until(() -> h.task(second.taskId()).status() == TaskStatus.COMPLETED);
            assertThat(h.task(id).status()).isEqualTo(TaskStatus.PAUSED);

            Task resumed = h.tasks.resume(id);
            assertThat(resumed.status()).isEqualTo(TaskStatus.QUEUED);
            assertThat(resumed.attempt()).isEqualTo(2);
            assertThat(resumed.step()).isEqualTo(checkpoint.step()); // never back to zero
            assertThat(job(h, id).path("resume_from").asText()).isEqualTo(checkpoint.path());
            await().atMost(LONG).until(() -> h.task(id).status() == TaskStatus.COMPLETED);

            Task done = h.task(id);
            assertThat(done.attempt()).isEqualTo(2);
            assertThat(done.attempts())
                    .extracting(Attempt::outcome)
                    .containsExactly(TaskStatus.PAUSED, TaskStatus.COMPLETED);
            // the first step of attempt 2 is the checkpoint's + 1: the steps run 1..40 without a gap or a repeat
            List<Long> steps = steps(Path.of(done.outputDir()).resolve("progress.jsonl"));
            assertThat(steps)
                    .containsExactlyElementsOf(
                            LongStream.rangeClosed(1, 40).boxed().toList());
            assertThat(Path.of(done.outputDir()).resolve("progress.attempt-1.jsonl"))
                    .exists();
            // no event ever showed a step below the one before it, across the pause
            List<Long> shown = h.eventsOf(id).stream().map(e -> e.task().step()).toList();
            assertThat(shown).isSorted();
        }
    }

    @Test
    void aQueuedTaskPausesWithoutRunningAndResumesAsTheSameAttempt() throws IOException {
        try (Harness h = new Harness(tmp, STEADY, Checkpoints.defaults(), AutoResume.off())) {
            Task running = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", h.dataset(8)), "alice");
            Task queued = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", h.dataset(8)), "alice");
            Task paused = h.tasks.pause(queued.taskId());
            assertThat(paused.status()).isEqualTo(TaskStatus.PAUSED);
            assertThat(paused.queuePosition()).isNull();

            await().atMost(LONG).until(() -> h.task(running.taskId()).status() == TaskStatus.COMPLETED);
            assertThat(h.task(queued.taskId()).status()).isEqualTo(TaskStatus.PAUSED);
            assertThat(Path.of(paused.outputDir()).resolve("progress.jsonl")).doesNotExist(); // never launched

            Task resumed = h.tasks.resume(queued.taskId());
            assertThat(resumed.status()).isEqualTo(TaskStatus.QUEUED);
            assertThat(resumed.attempt()).isEqualTo(1);
            await().atMost(LONG).until(() -> h.task(queued.taskId()).status() == TaskStatus.COMPLETED);
            assertThat(h.task(queued.taskId()).attempts()).hasSize(1);
        }
    }

    @Test
    void pauseOfAnEndedTaskAndResumeOfAnUnpausedOneAre409AndAPausedTaskCanBeCancelled() throws IOException {
        try (Harness h = new Harness(tmp, STEADY, Checkpoints.defaults(), AutoResume.off())) {
            Task running = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", h.dataset(8)), "alice");
            await().atMost(LONG).until(() -> h.task(running.taskId()).step() >= 1);
            assertThatThrownBy(() -> h.tasks.resume(running.taskId()))
                    .isInstanceOfSatisfying(
                            StudioException.class, e -> assertThat(e.code()).isEqualTo("task_not_paused"));
            h.tasks.pause(running.taskId());
            await().atMost(LONG).until(() -> h.task(running.taskId()).status() == TaskStatus.PAUSED);
            Task cancelled = h.tasks.cancel(running.taskId());
            assertThat(cancelled.status()).isEqualTo(TaskStatus.CANCELLED);
            assertThatThrownBy(() -> h.tasks.pause(running.taskId()))
                    .isInstanceOfSatisfying(
                            StudioException.class, e -> assertThat(e.code()).isEqualTo("task_not_pausable"));
            // a cancelled task that was paused is retried from the pause's checkpoint
            Task retried = h.tasks.retry(running.taskId(), true);
            assertThat(retried.attempt()).isEqualTo(2);
            assertThat(job(h, running.taskId()).path("resume_from").asText()).startsWith("checkpoints/step-");
            await().atMost(LONG).until(() -> h.task(running.taskId()).status() == TaskStatus.COMPLETED);
        }
    }

    @Test
    void aTrainerKilledMidRunIsResumedFromItsCheckpointAndCompletesAsAttempt2() throws IOException {
        AutoResume resume = new AutoResume(3, List.of(Duration.ofMillis(300)));
        try (Harness h = new Harness(tmp, STEADY, Checkpoints.defaults(), resume)) {
            Task task = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", h.dataset(8)), "alice");
            String id = task.taskId();
            await().atMost(LONG).until(() -> h.task(id).step() >= 6);
            long pid = h.tasks.record(id).run().pid();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly(); // SIGKILL: no checkpoint, no error record

            await().atMost(LONG).until(() -> h.task(id).attempt() == 2);
            await().atMost(LONG).until(() -> h.task(id).status() == TaskStatus.COMPLETED);
            Task done = h.task(id);
            assertThat(done.attempts()).hasSize(2);
            Attempt killed = done.attempts().get(0);
            assertThat(killed.outcome()).isEqualTo(TaskStatus.FAILED);
            assertThat(killed.errorCode()).isEqualTo("trainer_exit");
            assertThat(killed.errorMessage()).contains("killed by signal 9");
            String resumeFrom = job(h, id).path("resume_from").asText();
            assertThat(resumeFrom).startsWith("checkpoints/step-");
            long checkpointStep = Long.parseLong(resumeFrom.substring("checkpoints/step-".length()));
            assertThat(checkpointStep).isPositive();
            List<Long> steps = steps(Path.of(done.outputDir()).resolve("progress.jsonl"));
            assertThat(steps)
                    .containsExactlyElementsOf(
                            LongStream.rangeClosed(1, 40).boxed().toList());
            List<Long> killedSteps = steps(Path.of(done.outputDir()).resolve("progress.attempt-1.jsonl"));
            assertThat(killedSteps.get(killedSteps.size() - 1)).isGreaterThanOrEqualTo(checkpointStep);
            assertThat(Files.readString(h.tasks.logFile(id)))
                    .contains("attempt 2: the trainer ended without finishing (trainer_exit); resumed automatically");
        }
    }

    @Test
    void aSigtermTheStudioDidNotSendIsResumedFromTheCheckpointTheTrainerWroteOnTheWayOut() throws IOException {
        AutoResume resume = new AutoResume(2, List.of(Duration.ofMillis(200)));
        try (Harness h = new Harness(tmp, STEADY, Checkpoints.defaults(), resume)) {
            Task task = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", h.dataset(8)), "alice");
            String id = task.taskId();
            await().atMost(LONG).until(() -> h.task(id).step() >= 5);
            ProcessHandle.of(h.tasks.record(id).run().pid()).orElseThrow().destroy(); // SIGTERM, like an eviction

            await().atMost(LONG).until(() -> h.task(id).status() == TaskStatus.COMPLETED);
            Task done = h.task(id);
            assertThat(done.attempt()).isEqualTo(2);
            assertThat(done.attempts().get(0).errorCode()).isEqualTo("cancelled");
            List<Long> before = steps(Path.of(done.outputDir()).resolve("progress.attempt-1.jsonl"));
            // the trainer checkpointed at its last step on the way out: attempt 2 starts right after it
            assertThat(job(h, id).path("resume_from").asText())
                    .isEqualTo("checkpoints/step-" + before.get(before.size() - 1));
            assertThat(steps(Path.of(done.outputDir()).resolve("progress.jsonl")))
                    .containsExactlyElementsOf(
                            LongStream.rangeClosed(1, 40).boxed().toList());
        }
    }

    @Test
    void aFailureTheTrainerExplainedIsNotResumedAndTheLastAttemptFails() throws IOException {
        AutoResume resume = new AutoResume(3, List.of(Duration.ofMillis(100)));
        Map<String, String> silent = Map.of(
                "FAKE_TRAINER_STEP_DELAY", "0.02", "FAKE_TRAINER_STEPS", "12", "FAKE_TRAINER_MODE", "crash_silent");
        try (Harness h = new Harness(
                tmp,
                Map.of("FAKE_TRAINER_STEP_DELAY", "0.02", "FAKE_TRAINER_STEPS", "12"),
                Checkpoints.defaults(),
                resume)) {
            Task task = h.tasks.create(Harness.request("org/model-fail-me", h.dataset(8)), "alice");
            await().atMost(LONG).until(() -> h.task(task.taskId()).status() == TaskStatus.FAILED);
            Task failed = h.task(task.taskId());
            assertThat(failed.errorCode()).isEqualTo("internal");
            assertThat(failed.attempt()).isEqualTo(1);
        }
        // a trainer that dies silently every time is resumed until max-attempts, then fails
        try (Harness h = new Harness(tmp.resolve("silent"), silent, Checkpoints.defaults(), resume)) {
            Task task = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", h.dataset(8)), "alice");
            await().atMost(LONG).until(() -> h.task(task.taskId()).status() == TaskStatus.FAILED);
            Task failed = h.task(task.taskId());
            assertThat(failed.attempt()).isEqualTo(3);
            assertThat(failed.errorCode()).isEqualTo("trainer_exit");
            assertThat(failed.attempts()).extracting(Attempt::outcome).containsOnly(TaskStatus.FAILED);
        }
    }

    private static JsonNode job(Harness h, String id) throws IOException {
        return StudioJson.mapper()
                .readTree(h.tasks.taskDir(id).resolve("job.json").toFile());
    }

    /** The steps of the metrics records of a progress file, in order. */
    private static List<Long> steps(Path progress) throws IOException {
        List<Long> steps = new ArrayList<>();
        for (String line : Files.readAllLines(progress)) {
            JsonNode record = StudioJson.mapper().readTree(line);
            if ("metrics".equals(record.path("type").asText())) {
                steps.add(record.path("step").asLong());
            }
        }
        return steps;
    }
}
