package io.sage.studio.it;

import static io.sage.studio.it.FaultReport.seconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Fault injection on one studio: its storage folders ({@code studio_finetune/}, {@code studio/datasets/},
 * {@code studio/uploads/}) are small tmpfs mounts, filled up first; then each service is killed with {@code kill -9}
 * in the middle of a training and of a blue-green switch and brought back by {@code ./sage studio start}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultCrashIT {

    private static final List<String> STORAGE = List.of("studio_finetune", "studio/datasets", "studio/uploads");
    private static final List<String> SERVICES =
            List.of("gateway-adapter", "finetune-service", "chat-switch-service", "gpu-probe-service");
    private static final List<String> TASK_ENDS = List.of("completed", "failed", "cancelled");

    private static Path root;
    private static Studio studio;
    private static StudioApi api;
    private static final List<Path> MOUNTS = new ArrayList<>();
    private static String mountProblem;
    private static String dataset;
    private static Path slowA;
    private static Path slowB;

    @BeforeAll
    static void start() throws IOException {
        root = Files.createTempDirectory("sage-faults");
        Path home = root.resolve("home");
        for (String dir : STORAGE) {
            mount(Files.createDirectories(home.resolve(dir)));
        }
        if (mountProblem != null) {
            unmountAll();
        }
        studio = new Studio(home);
        studio.env.put("STUDIO_CHAT_INITIAL_MODEL", StudioApi.BASE_MODEL);
        api = new StudioApi(studio);
        slowA = api.slowModel("slow-a", 6);
        slowB = api.slowModel("slow-b", 6);
        Studio.Run start = studio.sage("studio", "start");
        assertThat(start.exitCode()).as(start.output()).isZero();
        api.awaitRouteActive();
        dataset = api.dataset(20);
    }

    @AfterAll
    static void stop() {
        try {
            if (studio != null) {
                studio.close();
            }
        } finally {
            unmountAll();
            deleteTree(root);
        }
    }

    private static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e.getMessage());
        }
    }

    /** A 16 MiB tmpfs on {@code dir}; where mounting is not permitted, {@link #mountProblem} says why. */
    private static void mount(Path dir) {
        if (mountProblem != null) {
            return;
        }
        Command mount = Command.run("mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "sage-faults", dir.toString());
        if (mount.exitCode() == 0) {
            MOUNTS.add(dir);
        } else {
            mountProblem =
                    "mount -t tmpfs on " + dir + " failed: " + mount.output().strip();
        }
    }

    private static void unmountAll() {
        for (Path dir : MOUNTS) {
            if (Command.run("umount", dir.toString()).exitCode() != 0) {
                Command.run("umount", "-l", dir.toString());
            }
        }
        MOUNTS.clear();
    }

    /** One command's exit code and output. */
    private record Command(int exitCode, String output) {
        static Command run(String... command) {
            try {
                Process process =
                        new ProcessBuilder(command).redirectErrorStream(true).start();
                String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                return new Command(process.waitFor(), output);
            } catch (IOException e) {
                return new Command(-1, e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Command(-1, "interrupted");
            }
        }
    }

    @Test
    @Order(1)
    void aFullStudioHomeAnswers507LeavesNothingHalfWrittenAndRecovers() throws Exception {
        FaultReport.run("full-filesystem", FaultCrashIT::fullFilesystem);
    }

    private static void fullFilesystem(FaultReport.Figures figures) throws IOException {
        assumeTrue(
                mountProblem == null,
                () -> mountProblem + " (the scenario needs root on Linux to mount a small tmpfs)");
        figures.add("studio_finetune/, studio/datasets/, studio/uploads/ on 16 MiB tmpfs mounts, filled");
        Set<String> before = settledFiles();
        List<Path> fillers = new ArrayList<>();
        try {
            for (Path mount : MOUNTS) {
                fillers.add(fill(mount));
            }
            StudioApi.Answer upload = api.upload("full.jsonl", StudioApi.alpaca(50));
            StudioApi.Answer create = api.createTask(dataset, 1, false);
            Set<String> after = settledFiles();
            fillers.forEach(f -> after.remove(f.toString()));
            Set<String> leftBehind = new TreeSet<>(after);
            leftBehind.removeAll(before);
            figures.add(
                    "upload %d %s, create %d %s, %d files left behind",
                    upload.status(), upload.errorCode(), create.status(), create.errorCode(), leftBehind.size());
            assertThat(upload.status()).as(upload.body().toString()).isEqualTo(507);
            assertThat(create.status()).as(create.body().toString()).isEqualTo(507);
            assertThat(after).as("nothing half-written").isEqualTo(before);
            assertThat(api.health("live", Duration.ofSeconds(5)).values())
                    .as("liveness while full")
                    .containsOnly(200);
            figures.add("liveness up");
        } finally {
            for (Path filler : fillers) {
                Files.deleteIfExists(filler);
            }
        }
        Instant freed = Instant.now();
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(
                                api.upload("again.jsonl", StudioApi.alpaca(10)).status())
                        .isEqualTo(200));
        figures.add("space freed → upload 200 after %s", seconds(Duration.between(freed, Instant.now())));
        String taskId = api.startTask(dataset, 1, false);
        JsonNode task = api.awaitTask(taskId, Duration.ofMinutes(2), TASK_ENDS);
        assertThat(task.path("status").asText()).as(task.toString()).isEqualTo("completed");
        assertThat(api.health("ready", Duration.ofSeconds(5)).values())
                .as("readiness after")
                .containsOnly(200);
        figures.add("a new task completed, all services ready");
    }

    /**
     * {@link #files()} once no multipart upload is in flight: the HTTP layer deletes a request's temporary
     * {@code resteasy-reactive*upload} file just after the answer is sent, so a snapshot taken right after a request
     * can still see it. Waits at most 10 s; a temporary file that stays longer is reported as left behind.
     */
    private static Set<String> settledFiles() throws IOException {
        Instant deadline = Instant.now().plusSeconds(10);
        Set<String> names = files();
        while (names.stream().anyMatch(FaultCrashIT::isUploadInFlight)
                && Instant.now().isBefore(deadline)) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            names = files();
        }
        return names;
    }

    private static boolean isUploadInFlight(String name) {
        String file = Path.of(name).getFileName().toString();
        return file.startsWith("resteasy-reactive") && file.endsWith("upload");
    }

    /** Every file under the storage folders, relative paths. */
    private static Set<String> files() throws IOException {
        Set<String> names = new TreeSet<>();
        for (String dir : STORAGE) {
            try (Stream<Path> walk = Files.walk(studio.home.resolve(dir))) {
                walk.filter(Files::isRegularFile).forEach(p -> names.add(p.toString()));
            }
        }
        return names;
    }

    /** Writes a file into {@code mount} until the file system has no byte left. */
    private static Path fill(Path mount) throws IOException {
        Path filler = mount.resolve("filler.bin");
        try (OutputStream out = Files.newOutputStream(filler)) {
            for (int size : new int[] {1 << 20, 4096, 1}) {
                byte[] chunk = new byte[size];
                try {
                    while (true) {
                        out.write(chunk);
                        out.flush();
                    }
                } catch (IOException full) {
                    // this size no longer fits: go on with a smaller one
                }
            }
        } catch (IOException closing) {
            // the last partial write may fail again at close
        }
        return filler;
    }

    @ParameterizedTest(name = "kill -9 {0}")
    @Order(2)
    @ValueSource(strings = {"gpu-probe-service", "gateway-adapter", "finetune-service", "chat-switch-service"})
    void kill9InTheMiddleOfASwitchAndATraining(String service) throws Exception {
        FaultReport.run("kill-9 " + service, figures -> kill9(service, figures));
    }

    private static void kill9(String service, FaultReport.Figures figures) {
        List<String> tasksBefore = api.taskIds();
        // A killed finetune-service must find the trainer still running when it is back: a longer training.
        String taskId = api.startTask(dataset, service.equals("finetune-service") ? 2 : 1, true);
        await().atMost(Duration.ofMinutes(2))
                .untilAsserted(
                        () -> assertThat(api.task(taskId).path("step").asLong()).isPositive());
        JsonNode before = api.currentModel();
        Path target = before.path("model_path").asText().equals(slowA.toString()) ? slowB : slowA;
        String operation = api.switchTo(target.toString());
        api.awaitOperation(operation, Duration.ofSeconds(60), List.of("starting", "waiting_ready"));
        Map<String, Long> pids = new LinkedHashMap<>();
        SERVICES.forEach(s -> pids.put(s, studio.pid(s)));

        long pid = pids.get(service);
        JsonNode running = api.task(taskId);
        String opAtKill = api.operation(operation).path("state").asText();
        Instant killed = Instant.now();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::destroyForcibly)).contains(true);
        figures.add(
                "killed mid-training (step %d/%d) and mid-switch (%s)",
                running.path("step").asLong(), running.path("total_steps").asLong(), opAtKill);
        await().atMost(Duration.ofSeconds(10)).until(() -> !Studio.alive(pid));
        Studio.Run start = studio.sage("studio", "start");
        figures.add("back and ready after %s", seconds(Duration.between(killed, Instant.now())));
        assertThat(start.exitCode()).as(start.output()).isZero();
        assertThat(start.output()).contains("Starting " + service).doesNotContain("Starting kafka");
        for (String other : SERVICES) {
            if (!other.equals(service)) {
                assertThat(start.output()).doesNotContain("Starting " + other);
                assertThat(studio.pid(other)).as(other + " kept running").isEqualTo(pids.get(other));
            }
        }

        JsonNode task = api.awaitTask(taskId, Duration.ofMinutes(3), TASK_ENDS);
        assertThat(task.path("status").asText()).as(task.toString()).isEqualTo("completed");
        assertThat(task.path("progress").asDouble()).isEqualTo(100.0);
        assertThat(task.path("artifacts").path("lora").asText()).isNotBlank();
        assertThat(api.taskIds()).as("no task lost").containsAll(tasksBefore).contains(taskId);
        StudioApi.TaskEvents events = api.assertTaskEventsWhole(task);
        figures.add("task completed (%s; no task lost)", events);

        JsonNode op = api.awaitOperation(operation, Duration.ofMinutes(2), StudioApi.FINISHED);
        figures.add(
                "switch %s%s",
                op.path("state").asText(),
                op.path("error").isNull() ? "" : " (" + op.path("error").asText() + ")");
        String routed = api.assertRouteConsistent();
        String expected = op.path("state").asText().equals("completed")
                ? op.path("served_model_name").asText()
                : before.path("served_model_name").asText();
        assertThat(routed).as("the route follows the switch's outcome " + op).isEqualTo(expected);
        figures.add("route → %s (consistent)", routed);
    }
}
