package io.sage.studio.finetune.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sage.studio.common.error.HttpStatuses;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.executor.InstanceIdentity;

/**
 * A task folder copied in from another install (or from before a reboot) names a pid and its start time in
 * {@code finetune_meta.json}. Here that pid may be any process: the service must neither adopt nor signal it.
 * The "victim" is a real process in its own process group, like a trainer.
 */
class CopiedTaskHandleTest {

    @TempDir
    Path root;

    private Process victim;

    @BeforeEach
    void startAnUnrelatedProcess() throws IOException {
        victim = new ProcessBuilder("setsid", "sleep", "300").start();
    }

    @AfterEach
    void stopIt() {
        victim.destroyForcibly();
    }

    private static long startTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19]);
    }

    private static String bootId() throws IOException {
        return Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip();
    }

    /** A task folder whose metadata says it is training with {@code victim}'s pid and start time. */
    private String copyIn(String id, String instanceId, String bootId) throws IOException {
        Path dir = Files.createDirectories(StudioHome.at(root).finetuneDir().resolve(id));
        Files.writeString(dir.resolve(TaskStore.META_FILE), """
                {"task_id":"%s","model_name":"m","status":"training","created_at":"2025-01-01T00:00:00Z",
                 "started_at":"2025-01-01T00:01:00Z","owner":"alice","revision":7,
                 "run":{"executor":"local","pid":%d,"pid_start_ticks":%d,"gpus":[],
                        "instance_id":%s,"boot_id":%s}}
                """.formatted(
                        id, victim.pid(), startTicks(victim.pid()), json(instanceId), json(bootId)));
        return id;
    }

    private static String json(String value) {
        return value == null ? "null" : "\"" + value + "\"";
    }

    private void assertNotAdoptedNorSignalled(Harness h, String id) {
        assertThat(h.task(id).status())
                .as("settled from its files, not adopted")
                .isEqualTo(TaskStatus.FAILED);
        assertThatThrownBy(() -> h.tasks.cancel(id))
                .isInstanceOf(StudioException.class)
                .extracting(e -> HttpStatuses.of((StudioException) e))
                .isEqualTo(409);
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(victim::isAlive);
    }

    @Test
    void aPidFromAnotherInstallIsNeverAdoptedOrSignalled() throws Exception {
        String id = copyIn("ft-20250101-000000-0ther1", "0b0b0b0b-0000-4000-8000-000000000001", bootId());
        try (Harness h = new Harness(root, Map.of())) {
            assertNotAdoptedNorSignalled(h, id);
        }
    }

    @Test
    void aPidWrittenBeforeTheLastBootIsNeverAdoptedOrSignalled() throws Exception {
        String ours = InstanceIdentity.of(StudioHome.at(root)).id();
        String id = copyIn("ft-20250101-000000-b00t01", ours, "00000000-0000-4000-8000-00000000b007");
        try (Harness h = new Harness(root, Map.of())) {
            assertNotAdoptedNorSignalled(h, id);
        }
    }

    @Test
    void aHandleWithoutAnInstallIdIsNeverAdoptedOrSignalled() throws Exception {
        String id = copyIn("ft-20250101-000000-1egacy", null, null);
        try (Harness h = new Harness(root, Map.of())) {
            assertNotAdoptedNorSignalled(h, id);
        }
    }
}
