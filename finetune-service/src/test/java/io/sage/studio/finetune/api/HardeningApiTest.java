package io.sage.studio.finetune.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.sage.studio.finetune.StudioTestResource;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * What a hostile request or a hostile task folder could do: read studio secrets through a task's dataset or log,
 * and exhaust the download threads; plus the dataset list and delete endpoints.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
class HardeningApiTest {

    /** Identifier characters only: Jackson would quote all of it as an "unrecognized token". */
    private static final String ENGINE_KEY = "sageEngineKeyZk7Qp2Lx9Vb4Nm8Rt1Wy6Hs3";

    private static final String BACKEND_SECRET = "sageBackendSecretQ4v8Ww2Ls0Pz6";
    private static final Duration LONG = Duration.ofSeconds(60);

    @TestHTTPResource("/")
    String base;

    private static Path home() {
        return StudioTestResource.home();
    }

    private static void studioSecrets() throws IOException {
        Path chat = Files.createDirectories(home().resolve("studio").resolve("chat"));
        Files.writeString(chat.resolve("engine-api-key"), ENGINE_KEY + "\n");
        Files.writeString(chat.resolve("backend.env"), BACKEND_SECRET + "=1\nSAGE_CHAT_MODEL=m\n");
        // Valid training records, but private: outside the datasets area they must not be fed to a trainer.
        Files.writeString(
                chat.resolve("history.jsonl"), "{\"prompt\":\"key?\",\"completion\":\"" + ENGINE_KEY + "\"}\n");
    }

    private static Response create(String datasetFile) {
        return given().contentType(ContentType.JSON)
                .body(Map.of("model_name", "m", "dataset_file", datasetFile))
                .post("/api/finetune/create");
    }

    @Test
    void aStudioFileNamedAsDatasetIsRefusedWithoutReadingOrQuotingIt() throws IOException {
        studioSecrets();
        Path datasets = Files.createDirectories(home().resolve("studio").resolve("datasets"));
        Path link = datasets.resolve("looks-fine.jsonl");
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, Path.of("../chat/engine-api-key"));
        long tasksBefore =
                given().get("/api/finetune/tasks").jsonPath().getList("$").size();
        for (String path : new String[] {
            "studio/chat/history.jsonl",
            "studio/chat/backend.env",
            "studio/chat/engine-api-key",
            home().resolve("studio/chat/engine-api-key").toString(),
            "studio/datasets/looks-fine.jsonl",
            "studio/datasets/../chat/backend.env"
        }) {
            Response answer = create(path);
            assertThat(answer.statusCode()).as(path).isEqualTo(400);
            assertThat(answer.jsonPath().getString("error.code")).as(path).isEqualTo("dataset_not_allowed");
            assertThat(answer.jsonPath().getList("error.details.field"))
                    .as(path)
                    .containsExactly("dataset_file");
            assertThat(answer.asString()).as(path).doesNotContain(ENGINE_KEY).doesNotContain(BACKEND_SECRET);
        }
        assertThat(given().get("/api/finetune/tasks").jsonPath().getList("$")).hasSize((int) tasksBefore);
    }

    @Test
    void anInvalidDatasetInTheDatasetsAreaIsReportedByLineAndProblemOnly() throws IOException {
        Path raw =
                Files.createDirectories(home().resolve("studio/datasets/raw")).resolve("bad.jsonl");
        Files.writeString(raw, "{\"prompt\":\"p\",\"completion\":\"c\"} x\n" + BACKEND_SECRET + "\n");
        Response answer = create("studio/datasets/raw/bad.jsonl");
        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(answer.jsonPath().getString("error.code")).isEqualTo("dataset_invalid");
        assertThat(answer.jsonPath().getList("error.details.line", Integer.class))
                .containsExactly(1, 2);
        assertThat(answer.jsonPath().getList("error.details.message", String.class))
                .allSatisfy(m -> assertThat(m).startsWith("line is not valid JSON (column "));
        assertThat(answer.asString()).doesNotContain(BACKEND_SECRET);
    }

    @Test
    void aTaskLogThatLinksToASecretIsNeverShown() throws Exception {
        studioSecrets();
        String id = "ft-20250101-000000-10911k";
        Path dir = Files.createDirectories(home().resolve("studio_finetune").resolve(id));
        Files.createSymbolicLink(dir.resolve("logs.txt"), Path.of("../../studio/chat/engine-api-key"));
        Files.createSymbolicLink(dir.resolve("progress.jsonl"), Path.of("../../studio/chat/backend.env"));
        Files.writeString(dir.resolve("finetune_meta.json"), """
                {"task_id":"%s","model_name":"m","status":"completed","created_at":"2025-01-01T00:00:00Z",
                 "completed_at":"2025-01-01T01:00:00Z"}
                """.formatted(id));
        await().atMost(LONG)
                .until(() -> given().get("/api/finetune/tasks/" + id).statusCode() == 200);
        given().get("/api/finetune/tasks/" + id).then().body("logs", not(containsString(ENGINE_KEY)));
        assertThat(given().get("/api/finetune/tasks/" + id + "/logs?tail=50").asString())
                .doesNotContain(ENGINE_KEY);
        assertThat(given().get("/api/finetune/tasks").asString()).doesNotContain(ENGINE_KEY);
        try (SseRecorder follow = SseRecorder.open(base + "api/finetune/tasks/" + id + "/logs?follow=true&tail=50")) {
            await().atMost(LONG).until(() -> follow.ended);
            assertThat(follow.events).extracting(SseRecorder.Event::name).containsExactly("end");
            assertThat(follow.events.get(0).json().get("reason").asText()).isEqualTo("finished");
        }
        given().get("/api/finetune/tasks/" + id + "/metrics")
                .then()
                .statusCode(200)
                .body("total_points", equalTo(0));
    }

    @Test
    void datasetsAreListedAndDeletedWhileTasksKeepTheirCopy() throws IOException {
        String id = given().multiPart("file", "mine.jsonl", "{\"prompt\":\"p\",\"completion\":\"c\"}\n".getBytes())
                .post("/api/finetune/upload-dataset")
                .then()
                .statusCode(200)
                .body("owner", equalTo("local"))
                .extract()
                .path("dataset_id");
        given().get("/api/finetune/datasets").then().statusCode(200).body("dataset_id", hasItem(id));
        given().get("/api/finetune/datasets/" + id)
                .then()
                .statusCode(200)
                .body("filename", equalTo("mine.jsonl"))
                .body(
                        "stored_bytes",
                        equalTo(Files.readAllBytes(home().resolve("studio/datasets")
                                        .resolve(id)
                                        .resolve("dataset.jsonl"))
                                .length));
        String task = create(id).then().statusCode(201).extract().path("task_id");

        given().delete("/api/finetune/datasets/" + id).then().statusCode(204);
        given().get("/api/finetune/datasets").then().body("dataset_id", not(hasItem(id)));
        given().get("/api/finetune/datasets/" + id)
                .then()
                .statusCode(404)
                .body("error.code", equalTo("dataset_not_found"));
        given().delete("/api/finetune/datasets/" + id).then().statusCode(404);
        given().delete("/api/finetune/datasets/..%2Fchat").then().statusCode(404);
        assertThat(home().resolve("studio/datasets").resolve(id)).doesNotExist();
        assertThat(home().resolve("studio_finetune").resolve(task).resolve("dataset.jsonl"))
                .exists();
        create(id).then().statusCode(400).body("error.code", equalTo("dataset_not_found"));
        await().atMost(LONG)
                .until(() -> List.of("completed", "failed")
                        .contains(given().get("/api/finetune/tasks/" + task)
                                .then()
                                .extract()
                                .<String>path("status")));
        given().get("/api/finetune/tasks/" + task).then().body("status", equalTo("completed"));
    }

    @Test
    void downloadsBeyondTheLimitAre503UntilASlotIsFree() throws Exception {
        String id = "ft-20250101-000000-d0wn1d";
        Path lora = Files.createDirectories(
                home().resolve("studio_finetune").resolve(id).resolve("lora"));
        long weights = 16L << 20;
        Random random = new Random(7);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(lora.resolve("adapter_model.safetensors"))) {
            for (long written = 0; written < weights; written += chunk.length) {
                random.nextBytes(chunk);
                out.write(chunk);
            }
        }
        Files.writeString(lora.getParent().resolve("finetune_meta.json"), """
                {"task_id":"%s","model_name":"m","status":"completed","created_at":"2025-01-01T00:00:00Z",
                 "completed_at":"2025-01-01T01:00:00Z","artifacts":{"lora":"lora"}}
                """.formatted(id));
        await().atMost(LONG)
                .until(() -> given().get("/api/finetune/tasks/" + id).statusCode() == 200);
        String path = "/api/finetune/tasks/" + id + "/download";

        List<Socket> stalled = new ArrayList<>();
        try {
            URI uri = URI.create(base);
            for (int i = 0; i < 2; i++) {
                Socket socket = new Socket(uri.getHost(), uri.getPort());
                socket.setReceiveBufferSize(4096);
                OutputStream out = socket.getOutputStream();
                out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                stalled.add(socket);
            }
            // Two clients that never read hold both slots (studio.finetune.max-concurrent-downloads=2).
            await().atMost(LONG).until(() -> downloaded(path).statusCode() == 503);
            given().get(path)
                    .then()
                    .statusCode(503)
                    .header("Retry-After", "10")
                    .body("error.code", equalTo("too_many_downloads"));
        } finally {
            for (Socket socket : stalled) {
                socket.close();
            }
        }
        await().atMost(LONG).until(() -> {
            Downloaded download = downloaded(path);
            return download.statusCode() == 200 && download.bytes() > weights;
        });
    }

    /** A download read to its end without keeping it. */
    private record Downloaded(int statusCode, long bytes) {}

    private Downloaded downloaded(String path) throws IOException, InterruptedException {
        HttpResponse<InputStream> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(base).resolve(path)).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            return new Downloaded(response.statusCode(), body.transferTo(OutputStream.nullOutputStream()));
        }
    }
}
