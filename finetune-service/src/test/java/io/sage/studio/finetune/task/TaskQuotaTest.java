package io.sage.studio.finetune.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sage.studio.common.error.HttpStatuses;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskStatus;

/** {@code studio.finetune.max-queued-per-owner}: queued plus running tasks per owner, on real trainer processes. */
class TaskQuotaTest {

    @TempDir
    Path root;

    @Test
    void anOwnerWithTooManyQueuedOrRunningTasksGets429UntilOneEnds() throws IOException {
        Map<String, String> slow = Map.of("FAKE_TRAINER_MODE", "slow", "FAKE_TRAINER_STEP_DELAY", "0.5");
        try (Harness h = new Harness(root, "python3 " + Harness.FAKE_TRAINER, slow, 1, List.of(), 2)) {
            Path data = h.dataset(2);
            Task running = h.tasks.create(Harness.request("m", data), "alice");
            h.tasks.create(Harness.request("m", data), "alice");
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> h.task(running.taskId()).status().running());

            assertThatThrownBy(() -> h.tasks.create(Harness.request("m", data), "alice"))
                    .isInstanceOfSatisfying(StudioException.class, e -> {
                        assertThat(HttpStatuses.of(e)).isEqualTo(429);
                        assertThat(e.code()).isEqualTo("quota_exceeded");
                        assertThat(e.getMessage())
                                .contains("studio.finetune.max-queued-per-owner")
                                .contains("2");
                    });
            try (Stream<Path> dirs = Files.list(h.home.finetuneDir())) {
                assertThat(dirs.count()).as("no folder for the refused task").isEqualTo(2);
            }
            Task bobs = h.tasks.create(Harness.request("m", data), "bob");
            assertThat(bobs.status()).isEqualTo(TaskStatus.QUEUED);

            h.tasks.cancel(running.taskId());
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> h.task(running.taskId()).status().terminal());
            assertThat(h.tasks.create(Harness.request("m", data), "alice").status())
                    .isEqualTo(TaskStatus.QUEUED);
        }
    }
}
