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
import io.sage.studio.finetune.PackagedService;
import io.sage.studio.kafka.KafkaBroker;

/**
 * The packaged service as a real process: a {@code task.completed} delivery that the receiver keeps refusing (500) is
 * still owed when the service is killed with SIGKILL; the service started again on the same home delivers it once the
 * receiver answers, under the same {@code webhook-id} and with a signature that verifies.
 */
class WebhookRestartIT {

    private static final Duration LONG = PackagedService.LONG;

    @TempDir
    Path tmp;

    private final List<Process> services = new ArrayList<>();
    private KafkaBroker broker;
    private Receiver receiver;

    private Process startService(Path home, int port) throws IOException {
        Process process = PackagedService.start(
                home,
                broker.bootstrapServers(),
                port,
                tmp.resolve("service.log"),
                Map.of(
                        "FAKE_TRAINER_STEP_DELAY", "0.05",
                        "FAKE_TRAINER_STEPS", "5",
                        "STUDIO_FINETUNE_WEBHOOKS_ALLOW_LOOPBACK", "true",
                        "STUDIO_FINETUNE_WEBHOOKS_RETRY_SCHEDULE", "1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s",
                        "STUDIO_FINETUNE_WEBHOOKS_POLL", "100ms"));
        services.add(process);
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
