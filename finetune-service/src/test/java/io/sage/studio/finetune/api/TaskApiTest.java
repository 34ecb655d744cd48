package io.sage.studio.finetune.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.TaskEvent;
import io.sage.studio.events.Topics;
import io.sage.studio.finetune.GpuFixtures;
import io.sage.studio.finetune.StudioTestResource;
import io.sage.studio.finetune.gpu.TelemetryGpuInventory;
import io.sage.studio.kafka.KafkaTestResource;

@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
class TaskApiTest {

    private static final Duration LONG = Duration.ofSeconds(60);

    @TestHTTPResource("/")
    String base;

    @Inject
    TelemetryGpuInventory telemetry;

    @BeforeAll
    static void oneGpuOf24GiBInTelemetry() throws Exception {
        GpuFixtures.publish(GpuFixtures.oneL4());
    }

    private static String uploadChat(int samples) {
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < samples; i++) {
            jsonl.append("{\"prompt\":\"question ")
                    .append(i)
                    .append("\",\"completion\":\"answer ")
                    .append(i)
                    .append("\"}\n");
        }
        return given().multiPart("file", "qa.jsonl", jsonl.toString().getBytes(StandardCharsets.UTF_8))
                .when()
                .post("/api/finetune/upload-dataset")
                .then()
                .statusCode(200)
                .extract()
                .path("dataset_id");
    }

    private static String status(String id) {
        return given().get("/api/finetune/tasks/" + id)
                .then()
                .statusCode(200)
                .extract()
                .path("status");
    }

    @Test
    void aUserUploadsCreatesWatchesDownloadsAndDeletes() throws Exception {
        await().atMost(LONG).until(() -> !telemetry.localGpus().isEmpty());
        String dataset = uploadChat(10);
        try (SseRecorder sse = SseRecorder.open(base + "api/finetune/tasks/stream")) {
            String id = given().contentType(ContentType.JSON)
                    .body(Map.of(
                            "model_name",
                            "Qwen/Qwen2.5-0.5B-Instruct",
                            "dataset_file",
                            dataset,
                            "num_epochs",
                            1,
                            "batch_size",
                            2,
                            "suffix",
                            "My Run!"))
                    .when()
                    .post("/api/finetune/create")
                    .then()
                    .statusCode(201)
                    .body("task_id", endsWith("-my-run"))
                    .body("status", equalTo("queued"))
                    .body("config.num_epochs", equalTo(1))
                    .body("config.batch_size", equalTo(2))
                    .body("config.learning_rate", equalTo(2.0e-4f))
                    .body("method", equalTo("lora"))
                    .body("owner", equalTo("local"))
                    .body("merge", equalTo(true))
                    .body("warning_details.code", hasItem("insufficient_gpu_memory"))
                    .body("warning_details.message", hasItem(containsString("NVIDIA L4")))
                    .body("warnings", hasItem(containsString("NVIDIA L4")))
                    .body("loss", equalTo(0.0f))
                    .body("latest_loss", nullValue())
                    .body("current_epoch", equalTo(0))
                    .body("logs", instanceOf(List.class))
                    .extract()
                    .path("task_id");

            await().atMost(LONG).until(() -> status(id).equals("completed"));
            given().get("/api/finetune/tasks/" + id)
                    .then()
                    .body("progress", equalTo(100.0f))
                    .body("step", equalTo(12))
                    .body("total_steps", equalTo(12))
                    .body("loss", greaterThan(0.0f))
                    .body("latest_loss", greaterThan(0.0f))
                    .body("current_epoch", equalTo(1))
                    .body("epoch", greaterThan(0.0f))
                    .body("queue_position", nullValue())
                    .body("artifacts.lora", endsWith(id + "/lora"))
                    .body("artifacts.merged_model", endsWith(id + "/merged_model"))
                    .body("logs", hasItem(containsString("[fake-trainer]")))
                    .body("executor", equalTo("local"));
            given().get("/api/finetune/tasks").then().statusCode(200).body("task_id", hasItem(id));

            await().atMost(LONG)
                    .until(() -> sse.named("task").stream()
                            .anyMatch(e -> e.json().path("task_id").asText().equals(id)
                                    && e.json().path("status").asText().equals("completed")));
            List<String> seen = sse.named("task").stream()
                    .filter(e -> e.json().path("task_id").asText().equals(id))
                    .map(e -> e.json().path("status").asText())
                    .distinct()
                    .toList();
            assertThat(seen).containsSubsequence("queued", "preparing", "training", "completed");

            given().get("/api/finetune/tasks/" + id + "/metrics")
                    .then()
                    .statusCode(200)
                    .body("task_id", equalTo(id))
                    .body("points.size()", equalTo(12))
                    .body("points[0].loss", notNullValue())
                    .body("points[11].step", equalTo(12));
            given().get("/api/finetune/tasks/" + id + "/metrics?max_points=3")
                    .then()
                    .body("points.step", hasItems(1, 12));

            given().get("/api/finetune/tasks/" + id + "/logs?tail=3")
                    .then()
                    .statusCode(200)
                    .contentType(containsString("text/plain"))
                    .body(containsString("[fake-trainer]"));
            try (SseRecorder follow =
                    SseRecorder.open(base + "api/finetune/tasks/" + id + "/logs?follow=true&tail=5")) {
                await().atMost(LONG).until(() -> follow.ended);
                assertThat(follow.named("log")).hasSize(5);
            }

            given().get("/api/finetune/models")
                    .then()
                    .statusCode(200)
                    .body("find { it.id == '" + id + "/merged_model' }.artifact", equalTo("merged"))
                    .body("find { it.id == '" + id + "/lora' }.type", equalTo("finetuned"))
                    .body("find { it.id == '" + id + "/lora' }.base_model", equalTo("Qwen/Qwen2.5-0.5B-Instruct"))
                    .body("find { it.id == 'Qwen/Qwen2.5-0.5B-Instruct' }.vram_hint_gb", equalTo(30.0f));

            assertThat(archive(id, null))
                    .contains(id + "-merged_model/config.json", id + "-merged_model/model.safetensors");
            assertThat(archive(id, "lora"))
                    .contains(id + "-lora/adapter_config.json")
                    .noneMatch(name -> name.contains("checkpoint"));

            given().post("/api/finetune/tasks/" + id + "/cancel")
                    .then()
                    .statusCode(409)
                    .body("error.code", equalTo("task_finished"));

            assertTaskEventsOnKafka(id);

            // Without the snapshot a stream sends only what changes after it opened: here the deletion, not the task.
            SseRecorder changes = SseRecorder.open(base + "api/finetune/tasks/stream?snapshot=false");
            given().get("/api/finetune/tasks/stream?snapshot=maybe")
                    .then()
                    .statusCode(400)
                    .body("error.code", equalTo("invalid_field"))
                    .body("error.details[0].field", equalTo("snapshot"));

            given().delete("/api/finetune/tasks/" + id)
                    .then()
                    .statusCode(200)
                    .body("status", equalTo("success"))
                    .body("message", containsString(id));
            given().get("/api/finetune/tasks/" + id)
                    .then()
                    .statusCode(404)
                    .body("error.code", equalTo("task_not_found"));
            assertThat(StudioTestResource.home().resolve("studio_finetune").resolve(id))
                    .doesNotExist();
            await().atMost(LONG)
                    .until(() -> sse.named("deleted").stream()
                            .anyMatch(e -> e.json().path("task_id").asText().equals(id)));
            try (changes) {
                await().atMost(LONG)
                        .until(() -> changes.named("deleted").stream()
                                .anyMatch(e -> e.json().path("task_id").asText().equals(id)));
                assertThat(changes.named("task")).isEmpty();
            }
        }
    }

    private List<String> archive(String id, String artifact) throws IOException {
        String query = artifact == null ? "" : "?artifact=" + artifact;
        byte[] body = given().get("/api/finetune/tasks/" + id + "/download" + query)
                .then()
                .statusCode(200)
                .contentType("application/gzip")
                .header("Content-Disposition", containsString(".tar.gz"))
                .extract()
                .asByteArray();
        List<String> names = new ArrayList<>();
        try (TarArchiveInputStream tar =
                new TarArchiveInputStream(new GzipCompressorInputStream(new ByteArrayInputStream(body)))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                names.add(entry.getName());
            }
        }
        return names;
    }

    private static void assertTaskEventsOnKafka(String id) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                KafkaTestResource.broker().bootstrapServers());
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.FINETUNE_TASKS).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<ConsumerRecord<String, byte[]>> mine = new ArrayList<>();
            await().atMost(LONG).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (id.equals(r.key())) {
                        mine.add(r);
                    }
                });
                return mine.stream()
                        .anyMatch(r -> CloudEvents.decode(r.value(), TaskEvent.class)
                                .task()
                                .status()
                                .equals("completed"));
            });
            ConsumerRecord<String, byte[]> first = mine.get(0);
            assertThat(CloudEvents.header(first.headers(), CloudEvents.H_SPEC_VERSION))
                    .isEqualTo("1.0");
            assertThat(CloudEvents.typeOf(first)).isEqualTo(TaskEvent.TYPE);
            assertThat(CloudEvents.header(first.headers(), CloudEvents.H_SOURCE))
                    .isEqualTo("/sage-studio/finetune-service");
            assertThat(CloudEvents.header(first.headers(), CloudEvents.H_SUBJECT))
                    .isEqualTo(id);
            assertThat(CloudEvents.header(first.headers(), CloudEvents.H_ID)).isNotBlank();
            List<TaskEvent> events = mine.stream()
                    .map(r -> CloudEvents.decode(r.value(), TaskEvent.class))
                    .toList();
            assertThat(events.get(0).kind()).isEqualTo(TaskEvent.Kind.CREATED);
            assertThat(events).extracting(TaskEvent::revision).isSorted().doesNotHaveDuplicates();
            assertThat(events).extracting(TaskEvent::kind).contains(TaskEvent.Kind.STATE_CHANGED);
            assertThat(events).anySatisfy(e -> assertThat(e.task().loss()).isNotNull());
            assertThat(events.get(events.size() - 1).task().status()).isEqualTo("completed");
        }
    }

    @Test
    void theListPagesWithACursorFiltersAndNamesABadParameter() {
        String dataset = uploadChat(2);
        List<String> created = new ArrayList<>();
        for (String suffix : List.of("pager-one", "pager-two")) {
            created.add(given().contentType(ContentType.JSON)
                    .body(Map.of("model_name", "Qwen/Qwen2.5-0.5B-Instruct", "dataset_file", dataset, "suffix", suffix))
                    .post("/api/finetune/create")
                    .then()
                    .statusCode(201)
                    .extract()
                    .path("task_id"));
        }
        JsonPath first = given().get("/api/finetune/tasks?q=PAGER-&limit=1")
                .then()
                .statusCode(200)
                .body("total", equalTo(2))
                .body("tasks", hasSize(1))
                .body("next_cursor", notNullValue())
                .extract()
                .jsonPath();
        JsonPath second = given().queryParam("q", "pager-")
                .queryParam("limit", 1)
                .queryParam("cursor", first.getString("next_cursor"))
                .get("/api/finetune/tasks")
                .then()
                .statusCode(200)
                .body("tasks", hasSize(1))
                .body("next_cursor", nullValue())
                .extract()
                .jsonPath();
        // newest first: the second task created is on the first page
        assertThat(List.of(first.getString("tasks[0].task_id"), second.getString("tasks[0].task_id")))
                .containsExactly(created.get(1), created.get(0));
        // without any parameter: the seed's array of every task
        assertThat(given().get("/api/finetune/tasks").jsonPath().getList("task_id"))
                .containsAll(created);

        for (String[] bad : new String[][] {
            {"limit", "0"},
            {"limit", "501"},
            {"limit", "many"},
            {"cursor", "bm90IGEgY3Vyc29y"},
            {"status", "runing"},
            {"method", "dpo"}
        }) {
            given().queryParam(bad[0], bad[1])
                    .get("/api/finetune/tasks")
                    .then()
                    .statusCode(400)
                    .body("error.code", equalTo("invalid_field"))
                    .body("error.details.field", hasItem(bad[0]))
                    .body("error.message", containsString(bad[0]));
        }
    }

    @Test
    void everyFieldIsRangeCheckedAndNamed() {
        String dataset = uploadChat(2);
        Object[][] bad = {
            {"num_epochs", 0},
            {"num_epochs", 101},
            {"batch_size", 0},
            {"learning_rate", 0},
            {"learning_rate", 2},
            {"max_length", 8},
            {"gradient_accumulation_steps", 5000},
            {"lora_r", 0},
            {"lora_r", 513},
            {"lora_dropout", 1.0},
            {"lora_alpha", -1},
            {"priority", 101},
            {"method", "dpo"},
        };
        for (Object[] field : bad) {
            given().contentType(ContentType.JSON)
                    .body(Map.of(
                            "model_name", "Qwen/Qwen2.5-0.5B-Instruct", "dataset_file", dataset, field[0], field[1]))
                    .when()
                    .post("/api/finetune/create")
                    .then()
                    .statusCode(400)
                    .body("error.code", equalTo("invalid_field"))
                    .body("error.details.field", hasItem(field[0]))
                    .body("error.message", containsString((String) field[0]));
        }
        given().contentType(ContentType.JSON)
                .body(Map.of("model_name", "Qwen/Qwen2.5-0.5B-Instruct", "dataset_file", dataset, "lora_r", 1024))
                .post("/api/finetune/create")
                .then()
                .statusCode(400)
                .body("error.message", containsString("vLLM serves LoRA adapters up to rank 512"));
        given().contentType(ContentType.JSON)
                .body(Map.of("model_name", " ", "dataset_file", dataset))
                .post("/api/finetune/create")
                .then()
                .statusCode(400)
                .body("error.details.field", hasItem("model_name"))
                .body("detail", containsString("model_name must not be blank"));
        // The seed's client may leave model_name out: its default base model; a cancel answers the seed's message.
        String id = given().contentType(ContentType.JSON)
                .body(Map.of("dataset_file", dataset, "priority", -100))
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .body("model_name", equalTo("Qwen/Qwen2.5-7B-Instruct"))
                .extract()
                .path("task_id");
        given().post("/api/finetune/tasks/" + id + "/cancel")
                .then()
                .statusCode(200)
                .body("task_id", equalTo(id))
                .body("message", containsString(id));
        given().contentType(ContentType.JSON)
                .body("{\"model_name\":\"m\",\"dataset_file\":\"" + dataset + "\",\"num_epochs\":\"lots\"}")
                .post("/api/finetune/create")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("invalid_json"))
                .body("error.message", containsString("num_epochs"));
        given().contentType(ContentType.JSON)
                .body(Map.of("model_name", "m", "dataset_file", dataset, "method", "qlora", "load_in_8bit", true))
                .post("/api/finetune/create")
                .then()
                .statusCode(400)
                .body("error.details.field", hasItem("load_in_8bit"));
    }

    @Test
    void aDatasetOutsideTheStudioHomeIsRefused() {
        for (String path : new String[] {"/etc/passwd", "../../etc/passwd", "studio/../../outside.jsonl"}) {
            given().contentType(ContentType.JSON)
                    .body(Map.of("model_name", "m", "dataset_file", path))
                    .post("/api/finetune/create")
                    .then()
                    .statusCode(400)
                    .body("error.code", equalTo("path_outside_home"));
        }
        given().contentType(ContentType.JSON)
                .body(Map.of("model_name", "m", "dataset_file", "studio/datasets/missing.jsonl"))
                .post("/api/finetune/create")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("dataset_not_found"));
    }

    @Test
    void anUnknownTaskIs404Everywhere() {
        String id = "ft-20990101-000000-abcdef";
        given().get("/api/finetune/tasks/" + id).then().statusCode(404).body("error.code", equalTo("task_not_found"));
        given().post("/api/finetune/tasks/" + id + "/cancel").then().statusCode(404);
        given().delete("/api/finetune/tasks/" + id).then().statusCode(404);
        given().get("/api/finetune/tasks/" + id + "/logs").then().statusCode(404);
        given().get("/api/finetune/tasks/" + id + "/metrics").then().statusCode(404);
        given().get("/api/finetune/tasks/" + id + "/download").then().statusCode(404);
        given().get("/api/finetune/tasks/..%2F..%2Fetc/metrics").then().statusCode(404);
    }

    @Test
    void aRawJsonlInsideTheHomeIsNormalisedIntoTheTaskAndWarningsNeverBlock() throws IOException {
        Path raw = StudioTestResource.home().resolve("studio/datasets/my-data").resolve("raw.jsonl");
        Files.createDirectories(raw.getParent());
        Files.writeString(raw, "{\"instruction\":\"i\",\"output\":\"o\"}\nnot json\n");
        String id = given().contentType(ContentType.JSON)
                .body(Map.of(
                        "model_name",
                        "acme/no-estimate-model",
                        "dataset_file",
                        "studio/datasets/my-data/raw.jsonl",
                        "method",
                        "full"))
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .body("warning_details.code", hasItems("model_not_in_catalog", "estimate_unavailable"))
                .extract()
                .path("task_id");
        Path taskData =
                StudioTestResource.home().resolve("studio_finetune").resolve(id).resolve("dataset.jsonl");
        assertThat(Files.readAllLines(taskData))
                .containsExactly(
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"i\"},{\"role\":\"assistant\",\"content\":\"o\"}]}");
        await().atMost(LONG).until(() -> status(id).equals("completed"));
        given().get("/api/finetune/tasks/" + id)
                .then()
                .body("artifacts.merged_model", notNullValue())
                .body("artifacts.lora", nullValue());
    }

    @Test
    void aTaskFolderCopiedInFromElsewhereIsListedWithItsModel() throws IOException {
        Path dir = StudioTestResource.home().resolve("studio_finetune").resolve("ft-20250101-000000-c0ffee");
        Files.createDirectories(dir.resolve("lora"));
        Files.writeString(dir.resolve("lora").resolve("adapter_config.json"), "{\"r\":8}");
        Files.writeString(dir.resolve("finetune_meta.json"), """
                {"task_id":"ft-20250101-000000-c0ffee","model_name":"Qwen/Qwen2.5-1.5B-Instruct","status":"completed",
                 "progress":100,"created_at":"2025-01-01T00:00:00Z","completed_at":"2025-01-01T01:00:00Z",
                 "artifacts":{"lora":"lora"},"output_dir":"/elsewhere/studio_finetune/ft-20250101-000000-c0ffee"}
                """);
        await().atMost(LONG)
                .untilAsserted(() -> given().get("/api/finetune/models")
                        .then()
                        .body(
                                "find { it.task_id == 'ft-20250101-000000-c0ffee' }.path",
                                equalTo(dir.resolve("lora").toString())));
        given().get("/api/finetune/tasks/ft-20250101-000000-c0ffee")
                .then()
                .statusCode(200)
                .body("output_dir", equalTo(dir.toString()));
        given().get("/api/finetune/models/base")
                .then()
                .statusCode(200)
                .body(
                        "id",
                        hasItems(
                                "Qwen/Qwen2.5-0.5B-Instruct",
                                "Qwen/Qwen2.5-1.5B-Instruct",
                                "Qwen/Qwen2.5-Coder-1.5B-Instruct"))
                .body("type", everyItem(equalTo("base")));
    }
}
