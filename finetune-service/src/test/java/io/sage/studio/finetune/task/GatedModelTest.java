package io.sage.studio.finetune.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sage.studio.finetune.domain.Attempt;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskStatus;

/**
 * A base model the Hugging Face token cannot access fails fast: the stand-in trainer (a real process) reports
 * {@code model_access_denied} for a {@code gated/…} model while loading, as sage-trainer does for a gated repository or
 * a 401/403, and the task fails at its first attempt although automatic resume is on - another attempt would be
 * refused the same way.
 */
class GatedModelTest {

    @TempDir
    Path tmp;

    @Test
    void aModelTheTokenCannotAccessFailsWithModelAccessDeniedAndIsNotResumed() throws IOException {
        AutoResume resume = new AutoResume(3, List.of(Duration.ofMillis(100)));
        try (Harness h = new Harness(
                tmp,
                Map.of("FAKE_TRAINER_STEP_DELAY", "0.02", "FAKE_TRAINER_STEPS", "12"),
                Checkpoints.defaults(),
                resume)) {
            Task task = h.tasks.create(Harness.request("gated/Llama-3.1-8B-Instruct", h.dataset(8)), "alice");
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> h.task(task.taskId()).status() == TaskStatus.FAILED);

            Task failed = h.task(task.taskId());
            assertThat(failed.errorCode()).isEqualTo("model_access_denied");
            assertThat(failed.errorMessage())
                    .contains("gated/Llama-3.1-8B-Instruct")
                    .contains("HF_TOKEN");
            assertThat(failed.attempt()).isEqualTo(1);
            assertThat(failed.attempts()).extracting(Attempt::outcome).containsExactly(TaskStatus.FAILED);
            assertThat(failed.step()).as("it never trained").isZero();
        }
    }
}
