package io.sage.studio.finetune.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskRequest;
import io.sage.studio.finetune.domain.TaskStatus;

/**
 * Several GPUs per task on the local executor (issue 21) with the stand-in trainer as real processes on a stand-in
 * 4-GPU node: a 2-GPU task and two 1-GPU tasks run side by side, each trainer sees exactly its GPUs in
 * {@code CUDA_VISIBLE_DEVICES}, the 2-GPU one the {@code distributed} block of its {@code job.json} (valid against
 * {@code job.schema.json}) with a rendezvous port of its own; a fourth task waits until GPUs come free.
 */
class MultiGpuLocalTest {

    private static final Duration LONG = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DEVICES = "fake trainer: devices ";

    @TempDir
    Path tmp;

    private static TaskRequest request(Path dataset, int gpus, String parallelism) {
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
                gpus,
                1,
                parallelism,
                null);
    }

    /** What the stand-in trainer logged it was given: {@code cuda_visible_devices} and {@code distributed}. */
    private static JsonNode devices(Task task) throws IOException {
        String line = Files.readAllLines(Path.of(task.outputDir()).resolve("logs.txt")).stream()
                .filter(l -> l.startsWith(DEVICES))
                .findFirst()
                .orElseThrow();
        return JSON.readTree(line.substring(DEVICES.length()));
    }

    private static boolean logged(Task task, String text) {
        try {
            return Files.readString(Path.of(task.outputDir()).resolve("logs.txt"))
                    .contains(text);
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void aTwoGpuTaskRunsBesideTwoOneGpuTasksEachOnItsOwnGpus() throws IOException {
        List<GpuTelemetryEvent> gpus =
                IntStream.range(0, 4).mapToObj(Harness::l4Gpu).toList();
        try (Harness h =
                new Harness(tmp, Map.of("FAKE_TRAINER_STEP_DELAY", "0.1", "FAKE_TRAINER_STEPS", "40"), 1, gpus)) {
            Path data = h.dataset(8);
            Task wide = h.tasks.create(request(data, 2, "auto"), "alice");
            Task one = h.tasks.create(request(data, 1, null), "alice");
            Task two = h.tasks.create(request(data, 1, null), "alice");
            Task later = h.tasks.create(request(data, 1, null), "alice");
            await().atMost(LONG)
                    .until(() -> List.of(wide, one, two).stream()
                            .allMatch(t -> h.task(t.taskId()).status().running()));
            assertThat(h.task(later.taskId()).status()).isEqualTo(TaskStatus.QUEUED);
            assertThat(h.task(wide.taskId()).config().parallelism().wire()).isEqualTo("ddp");

            await().atMost(LONG).until(() -> List.of(wide, one, two).stream().allMatch(t -> logged(t, DEVICES)));
            JsonNode wideSees = devices(wide);
            assertThat(wideSees.path("cuda_visible_devices").asText()).isEqualTo("0,1");
            JsonNode block = wideSees.path("distributed");
            assertThat(block.path("nnodes").asInt()).isEqualTo(1);
            assertThat(block.path("nproc_per_node").asInt()).isEqualTo(2);
            assertThat(block.path("parallelism").asText()).isEqualTo("ddp");
            assertThat(block.path("master_addr").asText()).isEqualTo("127.0.0.1");
            assertThat(block.path("node_rank").asInt()).isZero();
            // SAGE_MASTER_PORT, a port free when the run started, wins over the file's 29500
            assertThat(block.path("master_port").asInt()).isBetween(1024, 65535).isNotEqualTo(29500);
            assertThat(Files.readString(Path.of(wide.outputDir()).resolve("logs.txt")))
                    .contains("CUDA_VISIBLE_DEVICES=0,1");
            assertThat(List.of(devices(one), devices(two)))
                    .extracting(d -> d.path("cuda_visible_devices").asText())
                    .containsExactlyInAnyOrder("2", "3");
            assertThat(devices(one).path("distributed").isNull()).isTrue();

            JsonNode job =
                    JSON.readTree(Path.of(wide.outputDir()).resolve("job.json").toFile());
            assertThat(JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                            .getSchema(JSON.readTree(Path.of("..", "docs", "trainer-protocol", "job.schema.json")
                                    .toFile()))
                            .validate(job))
                    .extracting(ValidationMessage::getMessage)
                    .isEmpty();
            assertThat(job.path("distributed").path("nproc_per_node").asInt()).isEqualTo(2);
            assertThat(JSON.readTree(
                                    Path.of(one.outputDir()).resolve("job.json").toFile())
                            .has("distributed"))
                    .isFalse();

            await().atMost(LONG).until(() -> h.task(later.taskId()).status() == TaskStatus.COMPLETED);
            assertThat(List.of(wide, one, two)).allMatch(t -> h.task(t.taskId()).status() == TaskStatus.COMPLETED);
        }
    }
}
