package io.sage.studio.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.events.StudioJson;

/**
 * The user's whole flow from the shell, against the packaged studio with the stand-in trainer and model
 * server: upload → train → switch → chat, with the CLI's JSON output parsed and its exit codes checked.
 * The chat answer crossing the gateway proves the route event published by the chat-switch-service on
 * {@code studio.chat.backend} reached the gateway-adapter.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliFlowIT {

    private static Path home;
    private static Studio studio;
    private static String taskId;

    @BeforeAll
    static void start() throws IOException {
        home = Files.createTempDirectory("sage-cli-it");
        studio = new Studio(home.resolve("home"));
        studio.env.put("FAKE_TRAINER_STEP_DELAY", "0.05");
        Studio.Run start = studio.sage("studio", "start");
        assertThat(start.exitCode()).as(start.output()).isZero();
    }

    @AfterAll
    static void stop() {
        if (studio != null) {
            studio.close();
        }
    }

    private static JsonNode json(Studio.Run run) {
        assertThat(run.exitCode()).as(run.output()).isZero();
        try {
            return StudioJson.mapper().readTree(run.stdout());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + run.output(), e);
        }
    }

    private static Path dataset(String name, List<String> lines) throws IOException {
        return Files.write(home.resolve(name), lines, StandardCharsets.UTF_8);
    }

    private static List<String> alpaca(int n) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            lines.add("{\"instruction\":\"What is " + i + " plus 1?\",\"input\":\"\",\"output\":\"" + (i + 1) + "\"}");
        }
        return lines;
    }

    @Test
    @Order(1)
    void anInvalidDatasetIsRejectedWithLineNumbers() throws IOException {
        Path bad =
                dataset("bad.jsonl", List.of("{not json", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
        Studio.Run run =
                studio.sage("finetune", "start", "--model", "Qwen/Qwen2.5-0.5B-Instruct", "--data", bad.toString());
        assertThat(run.exitCode()).as(run.output()).isEqualTo(1);
        assertThat(run.output()).contains("line 1").contains("invalid_json").contains("line 2");
    }

    @Test
    @Order(2)
    void finetuneStartWaitsForTheTaskAndReportsSuccess() throws IOException {
        Path data = dataset("good.jsonl", alpaca(40));
        Studio.Run run = studio.sage(
                "finetune",
                "start",
                "--model",
                "Qwen/Qwen2.5-0.5B-Instruct",
                "--data",
                data.toString(),
                "--epochs",
                "2",
                "--batch-size",
                "4",
                "--lr",
                "0.0002",
                "--wait",
                "--json");
        JsonNode task = json(run);
        taskId = task.path("task_id").asText();
        assertThat(task.path("status").asText()).isEqualTo("completed");
        assertThat(task.path("progress").asDouble()).isEqualTo(100.0);
        assertThat(task.path("loss").isNumber()).isTrue();
        assertThat(task.path("artifacts").path("lora").asText()).endsWith("lora");
        assertThat(task.path("config").path("learning_rate").asDouble()).isEqualTo(0.0002);
        assertThat(run.output()).contains("Uploading").contains("format alpaca, 40 valid records");
    }

    @Test
    @Order(3)
    void listShowLogsAndModelsSeeTheTask() {
        JsonNode tasks = json(studio.sage("finetune", "list", "--json"));
        assertThat(tasks.findValuesAsText("task_id")).contains(taskId);
        assertThat(json(studio.sage("finetune", "show", taskId, "--json"))
                        .path("total_epochs")
                        .asInt())
                .isEqualTo(2);
        Studio.Run logs = studio.sage("finetune", "logs", taskId);
        assertThat(logs.exitCode()).isZero();
        assertThat(logs.output()).isNotBlank();
        JsonNode models = json(studio.sage("models", "list", "--json"));
        assertThat(models.findValuesAsText("task_id")).contains(taskId);
        assertThat(models.findValuesAsText("type")).contains("base", "finetuned");
        Studio.Run table = studio.sage("studio", "start", "--list-finetuned");
        assertThat(table.exitCode()).isZero();
        assertThat(table.output()).contains(taskId);
    }

    @Test
    @Order(4)
    void switchThenChatIsAnsweredByTheFineTunedModel() {
        Studio.Run sw = studio.sage("switch", taskId, "--wait");
        assertThat(sw.exitCode()).as(sw.output()).isZero();
        assertThat(sw.output()).contains("completed");
        JsonNode current = json(studio.sage("switch", taskId, "--wait", "--json"));
        assertThat(current.path("state").asText()).isEqualTo("completed");

        Studio.Run chat = studio.sage("chat", "Hello there");
        assertThat(chat.exitCode()).as(chat.output()).isZero();
        assertThat(chat.output()).contains("you said").contains("answered by");
        assertThat(chat.output()).contains(taskId);

        // The seed's stable local URL (SAGE_STUDIO_LLM_PORT, here a free port) serves the switched-to model too.
        HttpResponse<String> models = studio.get(studio.llmPort, "/v1/models");
        assertThat(models.statusCode()).as(models.body()).isEqualTo(200);
        assertThat(models.body()).contains(taskId);
    }

    @Test
    @Order(5)
    void downloadStreamsTheModelArchiveWithoutCheckpoints() throws IOException {
        Path archive = home.resolve("model.tar.gz");
        Studio.Run run = studio.sage("finetune", "download", taskId, "-o", archive.toString());
        assertThat(run.exitCode()).as(run.output()).isZero();
        List<String> names = tarNames(archive);
        assertThat(names).isNotEmpty().noneMatch(n -> n.contains("checkpoint") || n.contains("optimizer"));
        assertThat(names).anyMatch(n -> n.endsWith("config.json"));
    }

    @Test
    @Order(6)
    void waitingOnATaskThatGetsCancelledExitsWith3AndRemoveDeletesIt() throws Exception {
        Path data = dataset("slow.jsonl", alpaca(40));
        CompletableFuture<Studio.Run> waiting = CompletableFuture.supplyAsync(() -> studio.sage(
                Duration.ofMinutes(5),
                "finetune",
                "start",
                "--model",
                "Qwen/Qwen2.5-0.5B-Instruct",
                "--data",
                data.toString(),
                "--epochs",
                "50",
                "--batch-size",
                "1",
                "--suffix",
                "slow-me",
                "--wait",
                "--json"));
        String id = null;
        long deadline = System.currentTimeMillis() + 120_000;
        while (id == null && System.currentTimeMillis() < deadline) {
            for (JsonNode t : json(studio.sage("finetune", "list", "--json"))) {
                if (t.path("task_id").asText().contains("slow-me")
                        && t.path("status").asText().equals("training")) {
                    id = t.path("task_id").asText();
                }
            }
            Thread.sleep(500);
        }
        assertThat(id).as("a training task").isNotNull();
        Studio.Run rmWhileRunning = studio.sage("finetune", "rm", id);
        assertThat(rmWhileRunning.exitCode()).isEqualTo(1);
        assertThat(rmWhileRunning.output()).contains("cancel");

        assertThat(studio.sage("finetune", "cancel", id).exitCode()).isZero();
        Studio.Run waited = waiting.get();
        assertThat(waited.exitCode()).as(waited.output()).isEqualTo(3);

        assertThat(studio.sage("finetune", "rm", id).exitCode()).isZero();
        Studio.Run gone = studio.sage("finetune", "show", id);
        assertThat(gone.exitCode()).isEqualTo(1);
        assertThat(gone.output()).contains("no task " + id);
    }

    @Test
    @Order(7)
    void gpuAndStatusAnswerAndAnUnreachableStudioExitsWith2() throws IOException {
        JsonNode gpu = json(studio.sage("gpu", "--json"));
        assertThat(gpu.has("available")).isTrue();
        assertThat(studio.sage("studio", "status").exitCode()).isZero();
        assertThat(studio.sage("studio", "logs", "finetune", "-n", "5").output())
                .isNotBlank();

        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        Studio.Run run = studio.sage("finetune", "list", "--url", "http://127.0.0.1:" + closed);
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.output()).contains("cannot reach the studio");
    }

    @Test
    @Order(8)
    void stopEndsTheModelServersAndTheNextStartServesTheSameModel() {
        Studio.Run stop = studio.sage("studio", "stop");
        assertThat(stop.exitCode()).as(stop.output()).isZero();
        for (int port : studio.enginePorts()) {
            assertThat(Studio.listening(port))
                    .as("model server port " + port + " after stop")
                    .isFalse();
        }
        Studio.Run start = studio.sage("studio", "start");
        assertThat(start.exitCode()).as(start.output()).isZero();
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    Studio.Run chat = studio.sage("chat", "Are you back?");
                    assertThat(chat.exitCode()).as(chat.output()).isZero();
                    assertThat(chat.output()).contains(taskId);
                });
    }

    private static List<String> tarNames(Path archive) throws IOException {
        List<String> names = new ArrayList<>();
        try (InputStream in = new GZIPInputStream(Files.newInputStream(archive))) {
            byte[] header = new byte[512];
            while (in.readNBytes(header, 0, 512) == 512) {
                String name = new String(header, 0, 100, StandardCharsets.US_ASCII)
                        .replace("\0", "")
                        .trim();
                if (name.isEmpty()) {
                    break;
                }
                String sizeField = new String(header, 124, 12, StandardCharsets.US_ASCII)
                        .replace("\0", "")
                        .trim();
                long size = sizeField.isEmpty() ? 0 : Long.parseLong(sizeField, 8);
                char type = (char) header[156];
                if (type == 'L') { // GNU long name: the next entry's name is in this entry's data
                    byte[] longName = in.readNBytes((int) ((size + 511) / 512 * 512));
                    String full = new String(longName, 0, (int) size, StandardCharsets.UTF_8).replace("\0", "");
                    in.readNBytes(header, 0, 512);
                    String nextSize = new String(header, 124, 12, StandardCharsets.US_ASCII)
                            .replace("\0", "")
                            .trim();
                    size = nextSize.isEmpty() ? 0 : Long.parseLong(nextSize, 8);
                    name = full;
                }
                names.add(name);
                in.skipNBytes((size + 511) / 512 * 512);
            }
        }
        return names;
    }
}
