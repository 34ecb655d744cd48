package io.sage.studio.gpu.api;

import static io.restassured.RestAssured.given;
import static io.sage.studio.gpu.StandinGpuProfile.A100;
import static io.sage.studio.gpu.StandinGpuProfile.NODE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.oneOf;
import static org.hamcrest.Matchers.startsWith;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.ValidatableResponse;
import io.sage.studio.gpu.StandinGpuProfile;
import io.sage.studio.gpu.StandinNvml;
import io.sage.studio.kafka.KafkaTestResource;

@QuarkusTest
@TestProfile(StandinGpuProfile.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
class MemoryEstimateResourceTest {

    @BeforeEach
    void oneA100() {
        StandinGpuProfile.nvml().configure(StandinNvml.system(A100));
        await().atMost(Duration.ofSeconds(60))
                .until(() -> given().queryParam("node", NODE)
                                .get("/api/system/gpu-info")
                                .jsonPath()
                                .getInt("count")
                        == 1);
    }

    @Test
    void estimatesACatalogueModelAndSizesItForTheFreeMemoryOfATelemetryGpu() {
        JsonPath answer = post("{\"model\":\"Qwen/Qwen2.5-7B-Instruct\",\"method\":\"lora\",\"batch_size\":4,"
                        + "\"max_length\":1024,\"node\":\"" + NODE + "\",\"gpu_uuid\":\"" + A100.uuid() + "\"}")
                .statusCode(200)
                .extract()
                .jsonPath();

        assertThat(answer.getString("model")).isEqualTo("Qwen/Qwen2.5-7B-Instruct");
        assertThat(answer.getString("source")).isEqualTo("catalog");
        assertThat(answer.getLong("params")).isEqualTo(7_615_616_512L);
        assertThat(answer.getLong("trainable_params")).isEqualTo(40_370_176L);
        assertThat(answer.getString("precision")).isEqualTo("bf16");
        long low = answer.getLong("low_bytes");
        long expected = answer.getLong("expected_bytes");
        long high = answer.getLong("high_bytes");
        assertThat(low).isLessThan(expected);
        assertThat(expected).isLessThan(high);
        assertThat(answer.getLong("breakdown.weights_bytes")).isEqualTo(2 * 7_615_616_512L);
        assertThat(answer.getMap("breakdown"))
                .containsKeys(
                        "adapter_bytes",
                        "gradients_bytes",
                        "optimizer_bytes",
                        "activations_bytes",
                        "allocator_bytes",
                        "cuda_context_bytes");
        assertThat(answer.getList("fits.gpu", String.class))
                .contains(
                        "NVIDIA T4 16GB",
                        "NVIDIA RTX 3090 24GB",
                        "NVIDIA RTX 4090 24GB",
                        "NVIDIA A10 24GB",
                        "NVIDIA L4 24GB",
                        "NVIDIA A100 40GB",
                        "NVIDIA A100 80GB",
                        "NVIDIA H100 80GB",
                        "NVIDIA A100-SXM4-80GB (GPU 0)");
        assertThat(answer.getBoolean("fits.find { it.gpu == 'NVIDIA T4 16GB' }.fits"))
                .isFalse();
        assertThat(answer.getBoolean("fits.find { it.gpu == 'NVIDIA A100 80GB' }.fits"))
                .isTrue();
        assertThat(answer.getString("fits.find { it.node == 'gpu-node-a' }.uuid"))
                .isEqualTo(A100.uuid());
        assertThat(answer.getLong("devices[0].memory_free_bytes")).isEqualTo(A100.free());
        assertThat(answer.getString("recommendation.target")).contains("NVIDIA A100-SXM4-80GB", NODE, "free memory");
        assertThat(answer.getLong("recommendation.target_memory_bytes")).isEqualTo(A100.free());
        assertThat(answer.getBoolean("recommendation.fits")).isTrue();
        assertThat(answer.getString("formula")).contains("activations");
    }

    @Test
    void recommendsSettingsThatFitASmallBudget() {
        post("{\"model\":\"Qwen/Qwen2.5-7B-Instruct\",\"method\":\"full\",\"gpu_memory_bytes\":" + (24L << 30) + "}")
                .statusCode(200)
                .body("recommendation.fits", equalTo(true))
                .body("recommendation.method", oneOf("lora", "qlora"))
                .body("recommendation.gradient_checkpointing", equalTo(true))
                .body("recommendation.reason", containsString("method "));
    }

    @Test
    void rangeChecksEveryFieldAndNamesEachOne() {
        post("{\"model\":\"Qwen/Qwen2.5-0.5B-Instruct\",\"method\":\"dpo\",\"batch_size\":0,\"max_length\":8,"
                        + "\"lora_r\":5000,\"precision\":\"fp8\",\"gradient_accumulation_steps\":0,"
                        + "\"gpu_memory_bytes\":1,\"lora_target_modules\":[\"q_proj\",\"attn\"],\"node\":\"x\"}")
                .statusCode(400)
                .body("error.code", equalTo("invalid_field"))
                .body("error.message", containsString("method must be lora, qlora or full"))
                .body(
                        "error.details.field",
                        hasItems(
                                "method",
                                "precision",
                                "batch_size",
                                "max_length",
                                "lora_r",
                                "gradient_accumulation_steps",
                                "gpu_memory_bytes",
                                "lora_target_modules",
                                "gpu_uuid"));
        post("{\"model\":\"Qwen/Qwen2.5-0.5B-Instruct\",\"method\":\"qlora\",\"load_in_8bit\":true}")
                .statusCode(400)
                .body("error.details.field", hasItem("load_in_8bit"));
        post("{\"model\":\"Qwen/Qwen2.5-0.5B-Instruct\",\"batch_size\":\"many\"}")
                .statusCode(400)
                .body("error.code", equalTo("invalid_json"))
                .body("error.message", containsString("batch_size"));
        post("{}").statusCode(400).body("error.details.field", hasItem("model"));
    }

    @Test
    void readsTheArchitectureOfAModelFolderInsideTheStudioHome() throws Exception {
        Path folder = StandinGpuProfile.home().resolve("models/tiny-qwen2");
        Files.createDirectories(folder);
        Files.writeString(
                folder.resolve("config.json"),
                "{\"model_type\":\"qwen2\",\"hidden_size\":64,"
                        + "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
                        + "\"intermediate_size\":128,\"vocab_size\":1024,\"tie_word_embeddings\":true,"
                        + "\"max_position_embeddings\":512}",
                StandardCharsets.UTF_8);

        post("{\"model\":\"models/tiny-qwen2\",\"max_length\":1024}")
                .statusCode(200)
                .body("source", equalTo("config"))
                .body(
                        "params",
                        equalTo(64 * 1024 + 2 * (64 * 64 * 2 + 64 * 32 * 2 + 3 * 64 * 128 + 64 + 32 * 2 + 128) + 64))
                .body("notes", hasItem("max_length 1024 is longer than the model's context length 512"));
    }

    @Test
    void followsALoraAdapterFolderToItsBaseModel() throws Exception {
        Path adapter = StandinGpuProfile.home().resolve("studio_finetune/task-1/lora");
        Files.createDirectories(adapter);
        Files.writeString(
                adapter.resolve("adapter_config.json"),
                "{\"base_model_name_or_path\":\"Qwen/Qwen2.5-1.5B-Instruct\",\"r\":16}",
                StandardCharsets.UTF_8);

        post("{\"model\":\"" + adapter + "\"}")
                .statusCode(200)
                .body("model", equalTo("Qwen/Qwen2.5-1.5B-Instruct"))
                .body("params", equalTo(1543714304));
    }

    @Test
    void refusesPathsOutsideTheStudioHomeAndModelsItCannotFind() {
        post("{\"model\":\"/etc\"}").statusCode(400).body("error.code", equalTo("path_outside_home"));
        post("{\"model\":\"../../etc/passwd\"}").statusCode(400).body("error.code", equalTo("path_outside_home"));
        post("{\"model\":\"someone/unknown-model\"}")
                .statusCode(400)
                .body("error.code", equalTo("unknown_model"))
                .body("error.details[0].field", equalTo("model"));
    }

    @Test
    void aFileOfTheStudioHomeIsNotAModelAndItsContentNeverReachesTheAnswer() throws Exception {
        Path home = StandinGpuProfile.home();
        String secret = "TOPSECRET4711";
        Path env = write(home.resolve("studio/chat/backend.env"), secret + "_URL=http://10.0.0.7:8001/v1\n");
        Path key = write(home.resolve("studio/chat/engine-api-key"), secret + "-sk-sage-abc\n");
        Path meta = write(
                home.resolve("studio_finetune/t-leak/finetune_meta.json"),
                "{\"task_id\":\"t-leak\",\"owner\":\"" + secret + "\",\"status\":\"completed\"}");
        for (Path file : new Path[] {env, key, meta}) {
            for (String model :
                    new String[] {file.toString(), home.relativize(file).toString()}) {
                String body = post("{\"model\":\"" + model + "\"}")
                        .statusCode(400)
                        .body("error.code", equalTo("not_a_model"))
                        .body("error.details[0].field", equalTo("model"))
                        .extract()
                        .asString();
                assertThat(body).doesNotContain(secret);
            }
        }
        post("{\"model\":\"studio/chat\"}").statusCode(400).body("error.code", equalTo("not_a_model"));
    }

    @Test
    void aConfigLinkedToAnotherFileIsReportedWithoutItsContent() throws Exception {
        Path home = StandinGpuProfile.home();
        String secret = "LINKEDSECRET0815";
        Path key = write(home.resolve("studio/chat/engine-api-key-2"), secret + "\n");
        Path model = Files.createDirectories(home.resolve("models/linked-config"));
        Files.deleteIfExists(model.resolve("config.json"));
        Files.createSymbolicLink(model.resolve("config.json"), key);
        Path adapter = Files.createDirectories(home.resolve("studio_finetune/t-linked/lora"));
        Files.deleteIfExists(adapter.resolve("adapter_config.json"));
        Files.createSymbolicLink(adapter.resolve("adapter_config.json"), key);

        for (Path folder : new Path[] {model, adapter}) {
            String body = post("{\"model\":\"" + folder + "\"}")
                    .statusCode(400)
                    .body("error.code", equalTo("invalid_field"))
                    .body("error.message", containsString("is not valid JSON (line 1, column"))
                    .extract()
                    .asString();
            assertThat(body).doesNotContain(secret);
        }

        Path outside = Files.createTempFile("outside-config", ".json");
        Files.writeString(outside, "{\"hidden_size\": 64}", StandardCharsets.UTF_8);
        Path escaping = Files.createDirectories(home.resolve("models/escaping-config"));
        Files.deleteIfExists(escaping.resolve("config.json"));
        Files.createSymbolicLink(escaping.resolve("config.json"), outside);
        post("{\"model\":\"" + escaping + "\"}").statusCode(400).body("error.code", equalTo("path_outside_home"));
    }

    private static Path write(Path file, String content) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return file;
    }

    @Test
    void acceptsExplicitArchitectureNumbersSuchAsTheCalibrationModels() {
        post("{\"model\":\"tiny\",\"architecture\":{\"model_type\":\"qwen2\",\"hidden_size\":64,"
                        + "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
                        + "\"intermediate_size\":128,\"vocab_size\":1024,\"tie_word_embeddings\":true},"
                        + "\"batch_size\":2,\"max_length\":128,\"lora_r\":8}")
                .statusCode(200)
                .body("source", equalTo("request"))
                .body("params", equalTo(139_840));
        post("{\"architecture\":{\"hidden_size\":65,\"num_hidden_layers\":0,\"num_attention_heads\":4}}")
                .statusCode(400)
                .body(
                        "error.details.field",
                        hasItems(
                                "architecture.num_hidden_layers",
                                "architecture.intermediate_size",
                                "architecture.vocab_size"));
    }

    @Test
    void answersPerGpuForEachLayoutAndRecommendsTheCheapestThatFits() {
        // 7B full fine-tune, bf16 + AdamW at the defaults on 8 x 80 GB: DDP's replicas overflow, FSDP's shards fit
        JsonPath answer = post("{\"model\":\"Qwen/Qwen2.5-7B-Instruct\",\"method\":\"full\",\"precision\":\"bf16\","
                        + "\"gpus\":8,\"gpu_memory_bytes\":" + (80L << 30) + "}")
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(answer.getList("layouts.parallelism")).containsExactly("ddp", "fsdp");
        assertThat(answer.getList("layouts.fits")).containsExactly(false, true);
        assertThat(answer.getString("recommended")).isEqualTo("fsdp");
        assertThat(answer.getString("parallelism")).isEqualTo("fsdp");
        assertThat(answer.getInt("world_size")).isEqualTo(8);
        // the top-level numbers are per GPU of the layout in effect
        assertThat(answer.getLong("expected_bytes")).isEqualTo(answer.getLong("layouts[1].per_gpu_bytes"));
        assertThat(answer.getLong("breakdown.gathered_bytes")).isPositive();

        // LoRA replicates cheaply: DDP fits and wins; asking for fsdp keeps both layouts and the recommendation
        JsonPath lora = post("{\"model\":\"Qwen/Qwen2.5-7B-Instruct\",\"gpus\":2,\"nodes\":2,"
                        + "\"parallelism\":\"fsdp\",\"gpu_memory_bytes\":" + (80L << 30) + "}")
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(lora.getString("recommended")).isEqualTo("ddp");
        assertThat(lora.getString("parallelism")).isEqualTo("fsdp");
        assertThat(lora.getInt("world_size")).isEqualTo(4);

        // one GPU: the single layout; nothing fits 1 GiB
        post("{\"model\":\"Qwen/Qwen2.5-7B-Instruct\",\"gpu_memory_bytes\":" + (1L << 30) + "}")
                .statusCode(200)
                .body("layouts.parallelism", org.hamcrest.Matchers.contains("none"))
                .body("layouts[0].fits", equalTo(false))
                .body("recommended", org.hamcrest.Matchers.nullValue());

        // without a budget, sized from telemetry: the stand-in node has one GPU, so eight cannot be sized
        post("{\"model\":\"Qwen/Qwen2.5-0.5B-Instruct\",\"gpus\":8}")
                .statusCode(200)
                .body("layouts.fits", org.hamcrest.Matchers.everyItem(org.hamcrest.Matchers.nullValue()))
                .body("recommended", org.hamcrest.Matchers.nullValue())
                .body("notes", hasItem(containsString("0 node(s) with 8 or more GPUs, 1 needed")));
        post("{\"model\":\"Qwen/Qwen2.5-0.5B-Instruct\"}")
                .statusCode(200)
                .body("layouts[0].fits", equalTo(true))
                .body("recommended", equalTo("none"));

        post("{\"model\":\"Qwen/Qwen2.5-0.5B-Instruct\",\"gpus\":0,\"nodes\":65,\"parallelism\":\"zero3\"}")
                .statusCode(400)
                .body("error.code", equalTo("invalid_field"))
                .body("error.details.field", hasItems("gpus", "nodes", "parallelism"));
    }

    @Test
    void anUnknownGpuIsNotFound() {
        post("{\"model\":\"Qwen/Qwen2.5-0.5B-Instruct\",\"node\":\"" + NODE + "\",\"gpu_uuid\":\"GPU-gone\"}")
                .statusCode(404)
                .body("error.code", equalTo("gpu_not_found"))
                .body("error.message", startsWith("no current telemetry for GPU GPU-gone"));
    }

    private static ValidatableResponse post(String body) {
        return given().contentType(ContentType.JSON)
                .body(body)
                .post("/api/system/memory-estimate")
                .then();
    }
}
