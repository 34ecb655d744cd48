package io.sage.studio.chat.switching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sage.studio.chat.messaging.GpuTelemetry;
import io.sage.studio.chat.registry.ServableModel;
import io.sage.studio.chat.support.Configs;
import io.sage.studio.chat.support.Engines;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.common.kafka.KafkaClientConfig;
import io.sage.studio.common.models.BaseModelCatalog;
import io.sage.studio.events.GpuTelemetryEvent;

/** How {@link GpuCapacity#tensorParallel} sizes and checks tensor parallelism, without a broker or an engine. */
class TensorParallelPlanTest {

    private static final long GIB = 1L << 30;

    @TempDir
    Path dir;

    private final List<GpuTelemetryEvent> seen = new ArrayList<>();

    private GpuCapacity capacity(String runtime) {
        GpuTelemetry telemetry = new GpuTelemetry(new KafkaClientConfig(Map.of())) {
            @Override
            public List<GpuTelemetryEvent> gpus() {
                return List.copyOf(seen);
            }
        };
        return new GpuCapacity(
                Configs.chat(Map.of("studio.chat.runtime", runtime, "studio.chat.node", "a")),
                telemetry,
                BaseModelCatalog.builtInCatalog());
    }

    /** On Kubernetes the pod lands on a node that has the GPUs: the node with the most of them sizes it. */
    @Test
    void kubernetesSizesForTheLargestNodeAndPinsNoGpus() throws Exception {
        gpus("a", 2, 80);
        gpus("b", 8, 80);
        // 100 GiB of weights: 121 GiB on one GPU, 61 GiB each over two, within 0.9 x 80 = 72 GiB
        GpuCapacity.TensorPlan plan =
                capacity("kubernetes").tensorParallel(model("big", 64, 100 * GIB), null, Set.of());
        assertThat(plan.size()).isEqualTo(2);
        assertThat(plan.gpus()).isEmpty();

        // 300 GiB need 8 of node b's GPUs; node a alone could offer only 2
        assertThat(capacity("kubernetes")
                        .tensorParallel(model("huge", 64, 300 * GIB), null, Set.of())
                        .size())
                .isEqualTo(8);
    }

    /** 14 heads: 4 and 8 do not divide them, so a model that needs 4 gets the largest valid size and a warning. */
    @Test
    void sizesThatDoNotDivideTheHeadsAreSkipped() throws Exception {
        gpus("a", 8, 80);
        GpuCapacity.TensorPlan plan = capacity("local").tensorParallel(model("odd", 14, 150 * GIB), null, Set.of());
        assertThat(plan.size()).isEqualTo(2);
        assertThat(plan.reason()).contains("may run out of memory");
        assertThat(plan.gpus()).hasSize(2);
    }

    @Test
    void localEnginesGetGpusNoOtherEngineHolds() throws Exception {
        gpus("a", 4, 80);
        GpuCapacity.TensorPlan plan = capacity("local").tensorParallel(model("pair", 16, GIB), 2, Set.of(0, 1));
        assertThat(plan.gpus()).containsExactly(2, 3);
        assertThat(capacity("local")
                        .tensorParallel(model("one", 16, GIB), null, Set.of())
                        .size())
                .isEqualTo(1);
    }

    @Test
    void overridesAreCheckedAgainstWhatIsKnown() throws Exception {
        GpuCapacity noTelemetry = capacity("local");
        ServableModel sixteen = model("sixteen", 16, GIB);
        // without telemetry the node's GPUs are unknown: any power of two up to 64 passes, and no GPU is pinned
        assertThat(noTelemetry.tensorParallel(sixteen, 16, Set.of()).gpus()).isEmpty();
        assertThatThrownBy(() -> noTelemetry.tensorParallel(sixteen, 128, Set.of()))
                .isInstanceOf(StudioException.class)
                .hasMessageContaining("power of two from 1 to 64");
        // the catalogue knows Qwen2.5-0.5B's 14 heads
        ServableModel catalogue = new ServableModel(
                Engines.BASE_A,
                Engines.BASE_A,
                "base",
                ServableModel.Artifact.BASE,
                Engines.BASE_A,
                null,
                null,
                null,
                null,
                Engines.BASE_A);
        assertThatThrownBy(() -> noTelemetry.tensorParallel(catalogue, 4, Set.of()))
                .hasMessageContaining("does not divide the model's 14 attention heads");
        assertThat(noTelemetry.tensorParallel(catalogue, 2, Set.of()).size()).isEqualTo(2);
    }

    private ServableModel model(String name, int heads, long weights) throws Exception {
        Path folder = Files.createDirectories(dir.resolve(name));
        Files.writeString(folder.resolve("config.json"), "{\"num_attention_heads\": " + heads + "}");
        try (RandomAccessFile file =
                new RandomAccessFile(folder.resolve("model.safetensors").toFile(), "rw")) {
            file.setLength(weights);
        }
        String path = folder.toString();
        return new ServableModel(path, name, "base", ServableModel.Artifact.BASE, path, null, null, null, null, name);
    }

    private void gpus(String node, int count, long gib) {
        for (int i = 0; i < count; i++) {
            seen.add(new GpuTelemetryEvent(
                    GpuTelemetryEvent.SCHEMA_VERSION,
                    node,
                    Instant.now(),
                    1000,
                    "550.0",
                    "12.4",
                    i,
                    node + "-" + i,
                    "NVIDIA Test GPU",
                    gib * GIB,
                    gib * GIB,
                    0,
                    0,
                    0,
                    40,
                    60.0,
                    List.of()));
        }
    }
}
