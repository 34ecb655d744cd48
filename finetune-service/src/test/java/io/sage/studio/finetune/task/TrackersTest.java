package io.sage.studio.finetune.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.common.error.FieldError;
import io.sage.studio.common.error.HttpStatuses;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.events.StudioJson;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskRequest;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.domain.TrackerLink;
import io.sage.studio.finetune.executor.TrackerEnvironment;

/**
 * Experiment trackers (issue 23) with the stand-in trainer as a real process: a task's {@code report_to} reaches
 * {@code job.json}, the trainer's {@code tracker} records become the task's {@code trackers} (TensorBoard's folder
 * always; a named tracker the trainer cannot use shows as unavailable with its reason), an unknown tracker name is 400
 * naming {@code report_to}, and only a task that names a tracker gets that tracker's settings in its environment.
 */
class TrackersTest {

    private static final Duration LONG = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private static TaskRequest reportingTo(Path dataset, List<String> reportTo) {
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
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                reportTo);
    }

    @Test
    void theTrainersTrackerRecordsBecomeTheTasksTrackers() throws IOException {
        try (Harness h = new Harness(tmp, Map.of("FAKE_TRAINER_STEP_DELAY", "0.02"))) {
            Task created = h.tasks.create(reportingTo(h.dataset(8), List.of("mlflow", "mlflow")), "alice");
            assertThat(created.trackers()).isEmpty();
            Path dir = Path.of(created.outputDir());
            JsonNode job = StudioJson.mapper()
                    .readTree(dir.resolve(TaskLifecycle.JOB_FILE).toFile());
            assertThat(job.path("report_to").toString()).isEqualTo("[\"mlflow\"]");

            await().atMost(LONG).until(() -> h.task(created.taskId()).status() == TaskStatus.COMPLETED);
            Task done = h.task(created.taskId());
            assertThat(done.config().reportTo()).containsExactly("mlflow");
            assertThat(done.trackers()).hasSize(2);
            assertThat(done.trackers().get(0))
                    .isEqualTo(new TrackerLink("tensorboard", "active", null, null, "tensorboard", null));
            TrackerLink mlflow = done.trackers().get(1);
            assertThat(mlflow.name()).isEqualTo("mlflow");
            assertThat(mlflow.state()).isEqualTo("unavailable");
            assertThat(mlflow.message()).contains("mlflow is named in report_to but unavailable");
            assertThat(dir.resolve("tensorboard")).isDirectory();
            // stored with the task, and shown in snake_case
            assertThat(h.tasks.record(created.taskId()).trackers()).isEqualTo(done.trackers());
            JsonNode shown = StudioJson.mapper().valueToTree(done).path("trackers");
            assertThat(shown.get(0).path("log_dir").asText()).isEqualTo("tensorboard");
            assertThat(shown.get(1).has("run_id")).isTrue();
        }
    }

    @Test
    void aTaskWithoutReportToStillGetsTensorBoardAndNoReportToInItsJob() throws IOException {
        try (Harness h = new Harness(tmp, Map.of("FAKE_TRAINER_STEP_DELAY", "0.02"))) {
            Task created = h.tasks.create(Harness.request("Qwen/Qwen2.5-0.5B-Instruct", h.dataset(8)), "alice");
            Path dir = Path.of(created.outputDir());
            JsonNode job = StudioJson.mapper()
                    .readTree(dir.resolve(TaskLifecycle.JOB_FILE).toFile());
            assertThat(job.has("report_to")).isFalse();
            await().atMost(LONG).until(() -> h.task(created.taskId()).status() == TaskStatus.COMPLETED);
            assertThat(h.task(created.taskId()).trackers())
                    .extracting(TrackerLink::name)
                    .containsExactly("tensorboard");
        }
    }

    @Test
    void anUnknownTrackerIsRefusedNamingReportTo() throws IOException {
        try (Harness h = new Harness(tmp, Map.of())) {
            TaskRequest request = reportingTo(h.dataset(8), List.of("wandb", "comet"));
            assertThatThrownBy(() -> h.tasks.create(request, "alice"))
                    .isInstanceOfSatisfying(StudioException.class, e -> {
                        assertThat(HttpStatuses.of(e)).isEqualTo(400);
                        assertThat(e.getMessage()).contains("report_to names unknown trackers 'comet'");
                        assertThat(e.details())
                                .extracting(d -> ((FieldError) d).field())
                                .contains("report_to");
                    });
        }
    }

    @Test
    void onlyTheNamedTrackersSettingsReachTheTrainer() {
        Map<String, String> service = Map.of(
                "MLFLOW_TRACKING_URI", "http://mlflow:5000",
                "MLFLOW_TRACKING_TOKEN", "t",
                "WANDB_API_KEY", "k",
                "WANDB_MODE", "offline",
                "STUDIO_SECRET", "s");
        assertThat(TrackerEnvironment.of(service, List.of())).isEmpty();
        assertThat(TrackerEnvironment.of(service, List.of("tensorboard"))).isEmpty();
        assertThat(TrackerEnvironment.of(service, List.of("mlflow")))
                .containsOnlyKeys("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN");
        assertThat(TrackerEnvironment.of(service, List.of("wandb", "mlflow")))
                .containsOnlyKeys("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN", "WANDB_API_KEY", "WANDB_MODE");
    }
}
