package io.sage.studio.finetune.webhook;

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
 * The packaged service as a real process: a {@code task.completed} delivery that the receiver keeps refusing (500) is
 * still owed when the service is killed with SIGKILL; the service started again on the same home delivers it once the
 * receiver answers, under the same {@code webhook-id} and with a signature that verifies.
 */
class WebhookRestartIT {

    private static final Path JAR =
            Path.of("target", "quarkus-app", "quarkus-run.jar").toAbsolutePath();
    private static final Duration LONG = Duration.ofSeconds(120);

    @TempDir
    Path tmp;

    private final List<Process> services = new ArrayList<>();
    private KafkaBroker broker;
    private Receiver receiver;

    private Process startService(Path home, int port) throws IOException {
        ProcessBuilder builder = new ProcessBuilder("java", "-Xmx384m", "-jar", JAR.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        tmp.resolve("service.log").toFile()));
        Map<String, String> env = builder.environment();
        env.put("STUDIO_HOME", home.toString());
        env.put("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers());
        env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        env.put("STUDIO_SERVICES_GPU_URL", "http://127.0.0.1:9");
        env.put(
                "STUDIO_FINETUNE_LOCAL_TRAINER_COMMAND",
                "python3 "
                        + Path.of("..", "testing", "fake-trainer", "fake_trainer.py")
                                .toAbsolutePath()
                                .normalize());
        env.put("FAKE_TRAINER_STEP_DELAY", "0.05");
        env.put("FAKE_TRAINER_STEPS", "5");
        env.put("STUDIO_FINETUNE_WEBHOOKS_ALLOW_LOOPBACK", "true");
        env.put(
                "STUDIO_FINETUNE_WEBHOOKS_RETRY_SCHEDULE",
                "1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s");
        env.put("STUDIO_FINETUNE_WEBHOOKS_POLL", "100ms");
        Process process = builder.start();
        services.add(process);
        await().atMost(LONG)
                .pollInterval(Duration.ofMillis(250))
                .ignoreExceptions()
                .until(() -> given().port(port).get("/q/health/ready").statusCode() == 200);
        return process;
    }

    @AfterEach
    void stop() {
        services.forEach(Process::destroy);
        if (receiver != null) {
            receiver.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void aDeliveryOwedWhenTheServiceIsKilledIsMadeAfterItsRestart() throws Exception {
        broker = KafkaBroker.ephemeral().start();
        receiver = Receiver.start();
        receiver.failFirst("/down", Integer.MAX_VALUE);
        Path home = Files.createDirectories(tmp.resolve("home"));
        int port = KafkaBroker.freePort();
        Process first = startService(home, port);

        String secret = given().port(port)
                .contentType(ContentType.JSON)
                .body(Map.of("url", receiver.url("/down"), "events", List.of("task.completed")))
                .post("/api/webhooks")
                .then()
                .statusCode(201)
                .extract()
                .path("secret");
        Path data = Files.writeString(
                tmp.resolve("d.jsonl"),
                "{\"prompt\":\"p1\",\"completion\":\"c1\"}\n{\"prompt\":\"p2\",\"completion\":\"c2\"}\n");
        String dataset = given().port(port)
                .multiPart("file", data.toFile())
                .post("/api/finetune/upload-dataset")
                .then()
                .statusCode(200)
                .extract()
                .path("dataset_id");
        String task = given().port(port)
                .contentType(ContentType.JSON)
                .body(Map.of("model_name", "Qwen/Qwen2.5-0.5B-Instruct", "dataset_file", dataset))
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .extract()
                .path("task_id");

        // The receiver refuses the delivery at least once; then the service dies with the delivery still owed.
        await().atMost(LONG).until(() -> !receiver.all("/down").isEmpty());
        first.destroyForcibly().waitFor();
        Receiver.Received refused = receiver.all("/down").get(0);
        assertThat(refused.status()).isEqualTo(500);
        assertThat(refused.body()).contains("\"type\":\"task.completed\"", task);
        receiver.failFirst("/down", 0);

        startService(home, KafkaBroker.freePort());
        await().atMost(LONG).until(() -> !receiver.accepted("/down").isEmpty());
        Receiver.Received delivered = receiver.accepted("/down").get(0);
        assertThat(delivered.headers().get("webhook-id"))
                .isEqualTo(refused.headers().get("webhook-id"));
        assertThat(delivered.body()).contains("\"type\":\"task.completed\"", task);
        new WebhookVerifier(secret).verify(delivered.body(), delivered.headers());
        // Exactly one delivery was accepted: the restart redelivered what was owed, nothing twice.
        Thread.sleep(3000);
        assertThat(receiver.accepted("/down")).hasSize(1);
    }
}
