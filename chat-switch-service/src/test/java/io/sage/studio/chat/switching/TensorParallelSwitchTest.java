package io.sage.studio.chat.switching;

import static io.restassured.RestAssured.given;
import static io.sage.studio.chat.support.Broker.produce;
import static io.sage.studio.chat.support.Switches.serve;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sage.studio.chat.messaging.GpuTelemetry;
import io.sage.studio.chat.support.LocalEnvironment;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.events.Topics;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * Tensor-parallel serving on the local runtime (issue 21, item 5), with the stand-in vLLM enforcing vLLM's rules for
 * {@code --tensor-parallel-size} on a stand-in node of four 8 GiB GPUs: the size comes from the model's weights against
 * a GPU's memory, or from the request; the engine gets the flag and exactly that many GPUs of the node in
 * {@code CUDA_VISIBLE_DEVICES}; a size the node or the model cannot take is a 400 naming {@code tensor_parallel_size}.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(LocalEnvironment.class)
class TensorParallelSwitchTest {

    private static final long GIB = 1L << 30;
    /** Free memory of GPUs 0..3: the two with the most free memory are 1 and 3. */
    private static final long[] FREE = {2 * GIB, 8 * GIB, 3 * GIB, 7 * GIB};

    private final String prefix = "GPU-tp-" + UUID.randomUUID() + "-";

    @Inject
    GpuTelemetry telemetry;

    @BeforeEach
    void fourGpus() {
        Switches.awaitServiceReady();
        for (int i = 0; i < FREE.length; i++) {
            gpu(i, FREE[i]);
        }
        await().until(() -> telemetry.gpus().stream()
                        .filter(g -> g.uuid().startsWith(prefix))
                        .count()
                == FREE.length);
    }

    @AfterEach
    void gpusGone() {
        Switches.awaitIdle();
        for (int i = 0; i < FREE.length; i++) {
            produce(Topics.GPU_TELEMETRY, GpuTelemetryEvent.keyOf(LocalEnvironment.node(), prefix + i), null, null);
        }
        await().until(() -> telemetry.gpus().stream().noneMatch(g -> g.uuid().startsWith(prefix)));
    }

    /**
     * 6 GiB of weights: one 8 GiB GPU's budget is 0.9 x 8 = 7.2 GiB, and 6 x 1.2 + 1 = 8.2 GiB is over it; over two GPUs
     * 3.6 + 1 = 4.6 GiB fits. So 2, on the two GPUs with the most free memory.
     */
    @Test
    void theSizeComesFromTheWeightsAndTheEngineSeesExactlyItsGpus() throws Exception {
        Path model = model("tp-auto", 16, 6 * GIB);

        JsonPath op = serve(Map.of("model", model.toString()));

        String log = engineLog(op);
        assertThat(log).contains("--tensor-parallel-size 2");
        assertThat(log).contains("tensor parallel size 2 on CUDA_VISIBLE_DEVICES=1,3");
    }

    @Test
    void anOverrideIsUsedAsGivenOnAsManyGpus() throws Exception {
        Path model = model("tp-override", 16, GIB);

        JsonPath op = serve(Map.of("model", model.toString(), "tensor_parallel_size", 4));

        String log = engineLog(op);
        assertThat(log).contains("--tensor-parallel-size 4");
        assertThat(log).contains("tensor parallel size 4 on CUDA_VISIBLE_DEVICES=0,1,2,3");
    }

    @Test
    void anOverrideTheNodeOrTheModelCannotTakeIsA400NamingTheField() {
        Path sixteen = model("tp-bad-16", 16, GIB);
        Path fourteen = model("tp-bad-14", 14, GIB);

        refused("/api/chat/switch", Map.of("model", sixteen.toString(), "tensor_parallel_size", 3), "power of two");
        refused("/api/chat/switch", Map.of("model", sixteen.toString(), "tensor_parallel_size", 0), "power of two");
        refused(
                "/api/chat/switch",
                Map.of("model", sixteen.toString(), "tensor_parallel_size", 8),
                "exceeds the 4 GPU(s) of node " + LocalEnvironment.node());
        refused(
                "/api/chat/switch",
                Map.of("model", fourteen.toString(), "tensor_parallel_size", 4),
                "does not divide the model's 14 attention heads");
        refused(
                "/api/chat/serving",
                Map.of("model", sixteen.toString(), "tensor_parallel_size", 8),
                "exceeds the 4 GPU(s)");
    }

    private static void refused(String path, Map<String, Object> body, String message) {
        given().contentType(ContentType.JSON)
                .body(body)
                .post(path)
                .then()
                .statusCode(400)
                .body("error.code", equalTo("invalid_field"))
                .body("error.details[0].field", equalTo("tensor_parallel_size"))
                .body("error.message", containsString(message));
    }

    /** A model folder with {@code heads} attention heads (2 KV heads) and a sparse weights file of {@code weights}. */
    private static Path model(String name, int heads, long weights) {
        Path dir = LocalEnvironment.home().resolve("models/" + name);
        try {
            Files.createDirectories(dir);
            Files.writeString(
                    dir.resolve("config.json"),
                    "{\"architectures\": [\"Qwen2ForCausalLM\"], \"num_attention_heads\": " + heads
                            + ", \"num_key_value_heads\": 2}");
            try (RandomAccessFile file =
                    new RandomAccessFile(dir.resolve("model.safetensors").toFile(), "rw")) {
                file.setLength(weights);
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return dir;
    }

    private static String engineLog(JsonPath op) throws Exception {
        List<Map<String, Object>> active = given().get("/api/chat/backends")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("findAll { it.active }");
        assertThat(active).as("the active engine after %s", op.getString("id")).hasSize(1);
        return Files.readString(
                LocalEnvironment.home().resolve("studio/chat/" + active.get(0).get("id") + ".log"));
    }

    private void gpu(int index, long free) {
        GpuTelemetryEvent event = new GpuTelemetryEvent(
                GpuTelemetryEvent.SCHEMA_VERSION,
                LocalEnvironment.node(),
                Instant.now(),
                1000,
                "550.0",
                "12.4",
                index,
                prefix + index,
                "NVIDIA Test GPU",
                8 * GIB,
                free,
                8 * GIB - free,
                0,
                0,
                40,
                60.0,
                List.of());
        produce(Topics.GPU_TELEMETRY, event.key(), CloudEvents.encode(event), event.cloudEventType());
    }
}
