package io.sage.studio.finetune.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.sage.studio.common.error.StudioException;
import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.finetune.GpuFixtures;
import io.sage.studio.finetune.domain.Parallelism;
import io.sage.studio.finetune.domain.TaskRequest;

/** Which task shapes can ever run: per executor, against the GPUs per node in telemetry (none known: any). */
class TaskShapesTest {

    private static final TaskShapes.Recommender NO_ESTIMATE = (request, gpus, nodes) -> Optional.empty();

    private static GpuInventory inventory(List<GpuTelemetryEvent> local, List<GpuTelemetryEvent> all) {
        return new GpuInventory() {
            @Override
            public List<GpuTelemetryEvent> localGpus() {
                return local;
            }

            @Override
            public List<GpuTelemetryEvent> allGpus() {
                return all;
            }
        };
    }

    private static TaskRequest shape(int gpus, int nodes) {
        return shape(gpus, nodes, null, null);
    }

    private static TaskRequest shape(int gpus, int nodes, String method, String parallelism) {
        return new TaskRequest(
                "m",
                "d.jsonl",
                null,
                null,
                null,
                null,
                null,
                null,
                method,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                gpus,
                nodes,
                parallelism,
                null);
    }

    private static String field(Throwable e) {
        return ((StudioException) e).getMessage();
    }

    @Test
    void onKubernetesGpusPerNodeAreBoundByTheLargestNodeAndNodesAreFree() {
        List<GpuTelemetryEvent> cluster =
                List.of(gpu("a", 0), gpu("a", 1), gpu("a", 2), gpu("a", 3), gpu("b", 0), gpu("b", 1));
        TaskShapes shapes = new TaskShapes(inventory(List.of(), cluster), false, NO_ESTIMATE);
        assertThat(shapes.check(shape(4, 8))).isNotNull();
        assertThatThrownBy(() -> shapes.check(shape(5, 1)))
                .isInstanceOf(StudioException.class)
                .satisfies(e -> assertThat(field(e))
                        .contains("gpus 5 cannot ever fit")
                        .contains("the largest node (a) has 4 GPU(s) of 2 nodes reporting"));
    }

    @Test
    void locallyOneNodeAndThisMachinesGpus() {
        TaskShapes shapes =
                new TaskShapes(inventory(List.of(gpu("me", 0), gpu("me", 1)), List.of()), true, NO_ESTIMATE);
        assertThat(shapes.check(shape(2, 1))).isNotNull();
        assertThatThrownBy(() -> shapes.check(shape(1, 2)))
                .satisfies(e -> assertThat(field(e)).contains("nodes 2 needs the Kubernetes executor"));
        assertThatThrownBy(() -> shapes.check(shape(3, 1)))
                .satisfies(e -> assertThat(field(e)).contains("this machine (me) has 2 GPU(s);"));
    }

    @Test
    void withoutTelemetryAnyGpuCountIsAccepted() {
        assertThat(new TaskShapes(inventory(List.of(), List.of()), true, NO_ESTIMATE).check(shape(64, 1)))
                .isNotNull();
        assertThat(new TaskShapes(inventory(List.of(), List.of()), false, NO_ESTIMATE).check(shape(64, 64)))
                .isNotNull();
    }

    @Test
    void autoTakesGpuProbesRecommendedLayoutElseTheFallbackAndAnExplicitLayoutStays() {
        List<String> asked = new ArrayList<>();
        TaskShapes.Recommender fsdp = (request, gpus, nodes) -> {
            asked.add(gpus + "x" + nodes);
            return Optional.of("fsdp");
        };
        GpuInventory none = inventory(List.of(), List.of());
        TaskShapes shapes = new TaskShapes(none, false, fsdp);
        assertThat(shapes.check(shape(4, 2, "lora", null)).trainingConfig().parallelism())
                .isEqualTo(Parallelism.FSDP);
        assertThat(asked).containsExactly("4x2");
        assertThat(shapes.check(shape(4, 1, "lora", "ddp")).trainingConfig().parallelism())
                .isEqualTo(Parallelism.DDP);
        assertThat(shapes.check(shape(1, 1, "lora", "auto")).trainingConfig().parallelism())
                .isEqualTo(Parallelism.NONE);
        assertThat(asked).containsExactly("4x2");

        TaskShapes unanswered = new TaskShapes(none, false, NO_ESTIMATE);
        assertThat(unanswered
                        .check(shape(2, 1, "qlora", "auto"))
                        .trainingConfig()
                        .parallelism())
                .isEqualTo(Parallelism.DDP);
        assertThat(unanswered.check(shape(2, 1, "full", null)).trainingConfig().parallelism())
                .isEqualTo(Parallelism.FSDP);
    }

    private static GpuTelemetryEvent gpu(String node, int index) {
        return GpuFixtures.gpu(node, index, "NVIDIA H100", 80L << 30, 70L << 30);
    }
}
