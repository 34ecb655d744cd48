package io.sage.studio.finetune;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.restassured.http.ContentType;
import io.sage.studio.kafka.KafkaBroker;

/**
 * The packaged service as a real process, killed with SIGKILL in the middle of a training run and started again:
 * the trainer (its own process group) keeps running, the new service re-adopts it, the task completes with its
 * artifacts, and the task that was queued behind it runs afterwards.
 */
class ServiceRestartIT {

    private static final Duration LONG = PackagedService.LONG;

    @TempDir
    Path tmp;

    private final List<Process> services = new ArrayList<>();
    private KafkaBroker broker;

    private Process startService(Path home, int port) throws IOException {
        Process process = PackagedService.start(
                home,
                broker.bootstrapServers(),
                port,
                tmp.resolve("service.log"),
                Map.of("FAKE_TRAINER_STEP_DELAY", "0.1", "FAKE_TRAINER_STEPS", "60"));
        services.add(process);
        return process;
    }

    @AfterEach
    void stop() {
        services.forEach(Process::destroy);
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void aServiceKilledMidRunReadoptsItsTrainerAndRunsTheQueueAfterARestart() throws Exception {
        broker = KafkaBroker.ephemeral().start();
        Path home = Files.createDirectories(tmp.resolve("home"));
        int port = KafkaBroker.freePort();
        Process first = startService(home, port);

        String dataset = given().port(port)
                .multiPart("file", write(tmp.resolve("d.jsonl")).toFile())
                .post("/api/finetune/upload-dataset")
                .then()
                .statusCode(200)
                .extract()
                .path("dataset_id");
        Map<String, Object> body = Map.of("model_name", "Qwen/Qwen2.5-0.5B-Instruct", "dataset_file", dataset);
        String running = given().port(port)
                .contentType(ContentType.JSON)
                .body(body)
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .extract()
                .path("task_id");
        String queued = given().port(port)
                .contentType(ContentType.JSON)
                .body(body)
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .extract()
                .path("task_id");
        await().atMost(LONG)
                .until(() -> given().port(port)
                                .get("/api/finetune/tasks/" + running)
                                .then()
                                .extract()
                                .<Integer>path("step")
                        > 3);

        first.destroyForcibly().waitFor();
        Path meta = home.resolve("studio_finetune").resolve(running).resolve("finetune_meta.json");
        long pid = Long.parseLong(Files.readString(meta).replaceAll("(?s).*\"pid\"\\s*:\\s*(\\d+).*", "$1"));
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                .as("trainer outlives the service")
                .isTrue();

        int again = KafkaBroker.freePort();
        startService(home, again);
        given().port(again).get("/api/finetune/tasks/" + running).then().statusCode(200);
        await().atMost(LONG)
                .until(() -> "completed"
                        .equals(given().port(again)
                                .get("/api/finetune/tasks/" + running)
                                .then()
                                .extract()
                                .path("status")));
        assertThat(home.resolve("studio_finetune")
                        .resolve(running)
                        .resolve("lora")
                        .resolve("adapter_config.json"))
                .exists();
        await().atMost(LONG)
                .until(() -> "completed"
                        .equals(given().port(again)
                                .get("/api/finetune/tasks/" + queued)
                                .then()
                                .extract()
                                .path("status")));
    }

    private static Path write(Path file) throws IOException {
        Files.writeString(
                file, "{\"prompt\":\"p1\",\"completion\":\"c1\"}\n{\"prompt\":\"p2\",\"completion\":\"c2\"}\n");
        return file;
    }
}
