package io.sage.studio.finetune.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.common.error.FieldError;
import io.sage.studio.common.error.HttpStatuses;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.events.StudioJson;
import io.sage.studio.finetune.dataset.DatasetService;
import io.sage.studio.finetune.dataset.ValidationSplit;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskRequest;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.progress.MetricsSeries;

/**
 * Validation during training (issue 19) with the stand-in trainer as real processes: the service holds out
 * {@code validation_split} of the rows, the trainer evaluates on them ({@code eval} records on a falling-then-rising
 * curve: lowest at step 10 of 20), the task shows the latest, the best eval loss and its step, the best checkpoint is
 * what the trainer kept and wrote its model from, early stopping, clone and resume keep the settings and the best.
 */
class ValidationTrainingTest {

    private static final Duration LONG = Duration.ofSeconds(60);
    private static final Map<String, String> FAST =
            Map.of("FAKE_TRAINER_STEP_DELAY", "0.02", "FAKE_TRAINER_STEPS", "20");

    @TempDir
    Path tmp;

    private static TaskRequest validating(
            Path dataset, Double split, String file, Integer evalSteps, Integer patience, Integer seed) {
        return new TaskRequest(
                "Qwen/Qwen2.5-0.5B-Instruct",
                dataset.toString(),
                1,
                2,
                1,
                2e-4,
                256,
                null,
                null,
                4,
                null,
                null,
                null,
                false,
                null,
                null,
                split,
                file,
                evalSteps,
                patience,
                seed);
    }

    private static List<JsonNode> records(Path dir, String type) throws IOException {
        List<JsonNode> found = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("progress.jsonl"))) {
            JsonNode record = StudioJson.mapper().readTree(line);
            if (type.equals(record.path("type").asText())) {
                found.add(record);
            }
        }
        return found;
    }

    private static List<String> rows(Path file) throws IOException {
        return Files.readAllLines(file).stream().filter(l -> !l.isBlank()).toList();
    }

    @Test
    void aSplitIsHeldOutEvaluatedOnAndTheBestCheckpointBecomesTheModel() throws IOException {
        try (Harness h = new Harness(tmp, FAST)) {
            Task created = h.tasks.create(validating(h.dataset(40), 0.25, null, null, null, null), "alice");
            Path dir = Path.of(created.outputDir());
            List<String> training = rows(dir.resolve(DatasetService.DATA_FILE));
            List<String> heldOut = rows(dir.resolve(ValidationSplit.FILE));
            assertThat(training).hasSize(30);
            assertThat(heldOut).hasSize(10).doesNotContainAnyElementsOf(training);
            assertThat(new HashSet<>(training)).hasSize(30);

            JsonNode job = StudioJson.mapper()
                    .readTree(dir.resolve(TaskLifecycle.JOB_FILE).toFile());
            assertThat(job.path("validation_path").asText()).isEqualTo(ValidationSplit.FILE);
            // about ten evaluations: 1 epoch of ceil(30 / 2) = 15 steps -> every 2
            assertThat(job.path("hyperparameters").path("eval_steps").asInt()).isEqualTo(2);
            assertThat(job.path("hyperparameters").path("seed").asInt()).isEqualTo(TaskRequest.DEFAULT_SEED);
            assertThat(job.path("hyperparameters").has("early_stopping_patience"))
                    .isFalse();

            await().atMost(LONG).until(() -> h.task(created.taskId()).status() == TaskStatus.COMPLETED);
            Task done = h.task(created.taskId());
            List<JsonNode> evals = records(dir, "eval");
            assertThat(evals)
                    .extracting(e -> e.path("step").asLong())
                    .containsExactly(2L, 4L, 6L, 8L, 10L, 12L, 14L, 16L, 18L, 20L);
            JsonNode lowest = evals.stream()
                    .min((a, b) -> Double.compare(
                            a.path("eval_loss").asDouble(), b.path("eval_loss").asDouble()))
                    .orElseThrow();
            assertThat(done.evalLoss())
                    .isEqualTo(evals.get(evals.size() - 1).path("eval_loss").asDouble());
            assertThat(done.bestEvalLoss())
                    .isEqualTo(lowest.path("eval_loss").asDouble())
                    .isLessThan(done.evalLoss());
            assertThat(done.bestStep()).isEqualTo(10L);

            List<JsonNode> best = records(dir, "artifact").stream()
                    .filter(r -> r.path("kind").asText().equals("best_checkpoint"))
                    .toList();
            assertThat(best).hasSize(1);
            assertThat(best.get(0).path("step").asLong()).isEqualTo(done.bestStep());
            assertThat(best.get(0).path("path").asText()).isEqualTo("checkpoints/step-10");
            assertThat(dir.resolve("checkpoints/step-10/trainer_state.json")).exists();
            assertThat(done.artifacts()).containsKey("lora").doesNotContainKey("best_checkpoint");
            assertThat(done.logs()).anySatisfy(line -> assertThat(line).contains("best checkpoint step-10"));
            // the eval loss was on the task while it trained, not only at the end
            assertThat(h.eventsOf(created.taskId()))
                    .filteredOn(e ->
                            e.task().status() == TaskStatus.TRAINING && e.task().evalLoss() != null)
                    .isNotEmpty();

            MetricsSeries.Series series = MetricsSeries.read(created.taskId(), dir, 500);
            assertThat(series.points())
                    .filteredOn(p -> p.evalLoss() != null)
                    .hasSize(10)
                    .allSatisfy(p -> assertThat(p.loss()).isNull());
            assertThat(series.points()).filteredOn(p -> p.loss() != null).hasSize(20);
            assertThat(series.totalPoints()).isEqualTo(30);
            // thinned, each kind keeps its own share and its last point
            MetricsSeries.Series thin = MetricsSeries.read(created.taskId(), dir, 4);
            assertThat(thin.points())
                    .filteredOn(p -> p.evalLoss() != null)
                    .hasSize(4)
                    .last()
                    .satisfies(p -> assertThat(p.step()).isEqualTo(20L));
            assertThat(thin.points()).filteredOn(p -> p.loss() != null).hasSize(4);
        }
    }

    @Test
    void earlyStoppingEndsTheRunAfterPatienceEvaluationsWithoutImprovement() throws IOException {
        try (Harness h = new Harness(tmp, FAST)) {
            Task created = h.tasks.create(validating(h.dataset(40), 0.25, null, 2, 2, null), "alice");
            await().atMost(LONG).until(() -> h.task(created.taskId()).status() == TaskStatus.COMPLETED);
            Task done = h.task(created.taskId());
            Path dir = Path.of(done.outputDir());
            assertThat(records(dir, "eval"))
                    .extracting(e -> e.path("step").asLong())
                    .containsExactly(2L, 4L, 6L, 8L, 10L, 12L, 14L);
            assertThat(records(dir, "early_stopping"))
                    .singleElement()
                    .satisfies(r -> assertThat(r.path("best_step").asLong()).isEqualTo(10L));
            assertThat(done.step()).isEqualTo(14L);
            assertThat(done.bestStep()).isEqualTo(10L);
            assertThat(done.logs()).anySatisfy(line -> assertThat(line).contains("early stopping at step 14"));
            JsonNode job = StudioJson.mapper()
                    .readTree(dir.resolve(TaskLifecycle.JOB_FILE).toFile());
            assertThat(job.path("hyperparameters")
                            .path("early_stopping_patience")
                            .asInt())
                    .isEqualTo(2);
        }
    }

    @Test
    void aCloneHoldsOutTheSameRowsAndAResumeKeepsTheBestSoFar() throws IOException {
        Map<String, String> slow = Map.of("FAKE_TRAINER_STEP_DELAY", "0.15", "FAKE_TRAINER_STEPS", "20");
        try (Harness h = new Harness(tmp, slow)) {
            Task source = h.tasks.create(validating(h.dataset(40), 0.2, null, 2, null, 7), "alice");
            Path dir = Path.of(source.outputDir());
            await().atMost(LONG).until(() -> h.task(source.taskId()).step() >= 13);
            h.tasks.pause(source.taskId());
            await().atMost(LONG).until(() -> h.task(source.taskId()).status() == TaskStatus.PAUSED);
            Task paused = h.task(source.taskId());
            assertThat(paused.bestStep()).isEqualTo(10L);
            Double bestBefore = paused.bestEvalLoss();

            Task resumed = h.tasks.resume(source.taskId());
            assertThat(resumed.bestStep()).isEqualTo(10L);
            assertThat(resumed.bestEvalLoss()).isEqualTo(bestBefore);
            JsonNode job = StudioJson.mapper()
                    .readTree(dir.resolve(TaskLifecycle.JOB_FILE).toFile());
            assertThat(job.path("validation_path").asText()).isEqualTo(ValidationSplit.FILE);
            assertThat(job.path("hyperparameters").path("eval_steps").asInt()).isEqualTo(2);
            assertThat(job.path("resume_from").asText()).startsWith("checkpoints/step-");
            await().atMost(LONG).until(() -> h.task(source.taskId()).status() == TaskStatus.COMPLETED);
            Task done = h.task(source.taskId());
            assertThat(done.bestStep()).isEqualTo(10L);
            assertThat(done.bestEvalLoss()).isEqualTo(bestBefore);
            assertThat(dir.resolve("checkpoints/step-10")).isDirectory();

            // the clone's settings as CloneResource copies them; its own copy of the rows split again by seed 7
            Task clone = h.tasks.clone(source.taskId(), validating(h.dataset(40), 0.2, null, 2, null, 7), true, "bob");
            Path cloneDir = Path.of(clone.outputDir());
            assertThat(rows(cloneDir.resolve(ValidationSplit.FILE)))
                    .containsExactlyInAnyOrderElementsOf(rows(dir.resolve(ValidationSplit.FILE)));
            assertThat(rows(cloneDir.resolve(DatasetService.DATA_FILE)))
                    .containsExactlyInAnyOrderElementsOf(rows(dir.resolve(DatasetService.DATA_FILE)));
            Task otherSeed =
                    h.tasks.clone(source.taskId(), validating(h.dataset(40), 0.2, null, 2, null, 8), true, "bob");
            assertThat(rows(Path.of(otherSeed.outputDir()).resolve(ValidationSplit.FILE)))
                    .hasSize(8)
                    .isNotEqualTo(rows(dir.resolve(ValidationSplit.FILE)));
            await().atMost(LONG).until(() -> h.task(clone.taskId()).status() == TaskStatus.COMPLETED);
            assertThat(h.task(clone.taskId()).bestStep()).isEqualTo(10L);
        }
    }

    @Test
    void aTaskWithoutValidationKeepsFivePercentOutOfTrainingForEvaluationsAndItsCloneKeepsOutTheSame()
            throws IOException {
        try (Harness h = new Harness(tmp, FAST)) {
            Task created = h.tasks.create(validating(h.dataset(40), null, null, null, null, 3), "alice");
            Path dir = Path.of(created.outputDir());
            List<String> training = rows(dir.resolve(DatasetService.DATA_FILE));
            List<String> heldOut = rows(dir.resolve(ValidationSplit.HELD_OUT_FILE));
            assertThat(heldOut).hasSize(2).doesNotContainAnyElementsOf(training);
            assertThat(training).hasSize(38);
            assertThat(dir.resolve(ValidationSplit.FILE)).doesNotExist();
            JsonNode job = StudioJson.mapper()
                    .readTree(dir.resolve(TaskLifecycle.JOB_FILE).toFile());
            assertThat(job.path("validation_path").isNull())
                    .as("the trainer is not told of the held-out rows")
                    .isTrue();

            // a clone puts the rows back before it holds out again: the same seed keeps out the same two rows
            Task clone =
                    h.tasks.clone(created.taskId(), validating(h.dataset(40), null, null, null, null, 3), true, "bob");
            Path cloneDir = Path.of(clone.outputDir());
            assertThat(rows(cloneDir.resolve(ValidationSplit.HELD_OUT_FILE)))
                    .containsExactlyInAnyOrderElementsOf(heldOut);
            assertThat(rows(cloneDir.resolve(DatasetService.DATA_FILE))).containsExactlyInAnyOrderElementsOf(training);
            // a clone that splits instead splits all 40 rows, the held-out ones included
            Task split =
                    h.tasks.clone(created.taskId(), validating(h.dataset(40), 0.25, null, null, null, 3), true, "bob");
            Path splitDir = Path.of(split.outputDir());
            List<String> all = new ArrayList<>(training);
            all.addAll(heldOut);
            List<String> together = new ArrayList<>(rows(splitDir.resolve(DatasetService.DATA_FILE)));
            together.addAll(rows(splitDir.resolve(ValidationSplit.FILE)));
            assertThat(together).containsExactlyInAnyOrderElementsOf(all);
            assertThat(splitDir.resolve(ValidationSplit.HELD_OUT_FILE)).doesNotExist();

            // too small to spare a row (5 % of 6 rounds to none): every row trains
            Task tiny = h.tasks.create(validating(h.dataset(6), null, null, null, null, null), "alice");
            assertThat(rows(Path.of(tiny.outputDir()).resolve(DatasetService.DATA_FILE)))
                    .hasSize(6);
            assertThat(Path.of(tiny.outputDir()).resolve(ValidationSplit.HELD_OUT_FILE))
                    .doesNotExist();
        }
    }

    @Test
    void aValidationFileIsCheckedLikeADatasetAndCopiedIntoTheTask() throws IOException {
        try (Harness h = new Harness(tmp, FAST)) {
            Path eval = h.dataset(5);
            Task created = h.tasks.create(validating(h.dataset(12), null, eval.toString(), 5, null, null), "alice");
            Path dir = Path.of(created.outputDir());
            assertThat(rows(dir.resolve(ValidationSplit.FILE))).hasSize(5);
            assertThat(rows(dir.resolve(DatasetService.DATA_FILE))).hasSize(12);
            await().atMost(LONG).until(() -> h.task(created.taskId()).status() == TaskStatus.COMPLETED);
            assertThat(records(dir, "eval"))
                    .extracting(e -> e.path("step").asLong())
                    .containsExactly(5L, 10L, 15L, 20L);
            assertThat(h.task(created.taskId()).bestStep()).isEqualTo(10L);
        }
    }

    @Test
    void badValidationSettingsAre400NamingTheField() throws IOException {
        try (Harness h = new Harness(tmp, FAST)) {
            Path data = h.dataset(6);
            assertRefused(h, validating(data, 0.2, data.toString(), null, null, null), "validation_file");
            assertRefused(h, validating(data, null, null, 5, null, null), "eval_steps");
            assertRefused(h, validating(data, null, null, null, 2, null), "early_stopping_patience");
            // 6 rows: 5 % holds out none
            assertRefused(h, validating(data, 0.05, null, null, null, null), "validation_split");
            assertRefused(h, validating(data, null, "nowhere.jsonl", null, null, null), "validation_file");
            assertRefused(
                    h,
                    validating(data, null, h.home.root().resolve("secret.jsonl").toString(), null, null, null),
                    "validation_file");
            assertRefused(h, validating(data, null, " ", null, null, null), "validation_file");
            assertThat(h.store.all()).isEmpty();
        }
    }

    private static void assertRefused(Harness h, TaskRequest request, String field) {
        assertThatThrownBy(() -> h.tasks.create(request, "alice")).isInstanceOfSatisfying(StudioException.class, e -> {
            assertThat(HttpStatuses.of(e)).isEqualTo(400);
            assertThat(e.getMessage()).contains(field);
            Set<String> fields = new HashSet<>();
            e.details().forEach(d -> fields.add(((FieldError) d).field()));
            assertThat(fields).contains(field);
        });
    }
}
