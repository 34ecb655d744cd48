package io.sage.studio.finetune.gpu;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.sage.studio.common.error.StudioException;
import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.sage.studio.finetune.domain.TaskRequest;

/**
 * Checks a create's shape ({@code gpus} per node × {@code nodes}, issue 21) against where it would run, so a task that
 * can never start is refused with a 400 naming the field instead of waiting in the queue forever: more than one node
 * only with the Kubernetes executor (the local executor runs on its own machine), and no more GPUs per node than the
 * largest node known from gpu-probe telemetry has (this machine's for the local executor). Without telemetry nothing
 * is known and the shape is accepted (the trainer finds out).
 *
 * <p>It also resolves {@code parallelism: auto} of a task on more than one GPU to gpu-probe's {@code recommended}
 * layout (the cheapest that fits per GPU, {@link MemoryAdvisor#recommendedParallelism}); without an answer the task
 * keeps {@code auto} and {@link TaskRequest#trainingConfig()} applies the fallback ({@code ddp} for LoRA/QLoRA,
 * {@code fsdp} for a full fine-tune).
 */
@ApplicationScoped
public class TaskShapes {

    /** gpu-probe's recommended layout for a request on {@code gpus × nodes}, if it answers with one. */
    @FunctionalInterface
    interface Recommender {
        Optional<String> recommend(TaskRequest request, int gpus, int nodes);
    }

    private final GpuInventory inventory;
    private final boolean local;
    private final Recommender recommender;

    @Inject
    public TaskShapes(GpuInventory inventory, FinetuneConfig config, MemoryAdvisor advisor) {
        this(inventory, config.executor() == FinetuneConfig.ExecutorKind.LOCAL, advisor::recommendedParallelism);
    }

    /** @param local whether tasks run on this machine (the local executor) rather than on a cluster's nodes */
    TaskShapes(GpuInventory inventory, boolean local, Recommender recommender) {
        this.inventory = inventory;
        this.local = local;
        this.recommender = recommender;
    }

    /**
     * {@code request} with {@code parallelism: auto} resolved where gpu-probe recommends a layout, when its shape can
     * ever run here; 400 {@code invalid_request} naming the field otherwise.
     */
    public TaskRequest check(TaskRequest request) {
        int gpus = request.gpus() == null ? 1 : request.gpus();
        int nodes = request.nodes() == null ? 1 : request.nodes();
        if (nodes > 1 && local) {
            throw StudioException.invalidField(
                    "nodes",
                    "nodes " + nodes + " needs the Kubernetes executor (studio.finetune.executor=kubernetes); the local"
                            + " executor trains on this machine only: give nodes 1 and up to its GPUs in gpus");
        }
        if (gpus * nodes <= 1) {
            return request;
        }
        List<GpuTelemetryEvent> known = local ? inventory.localGpus() : inventory.allGpus();
        Map<String, Long> perNode = known.stream()
                .collect(Collectors.groupingBy(
                        GpuTelemetryEvent::node,
                        Collectors.mapping(
                                GpuTelemetryEvent::index,
                                Collectors.collectingAndThen(Collectors.toSet(), s -> (long) s.size()))));
        Map.Entry<String, Long> largest = perNode.entrySet().stream()
                .max(Map.Entry.<String, Long>comparingByValue()
                        .thenComparing(Map.Entry.comparingByKey(Comparator.reverseOrder())))
                .orElse(null);
        if (largest != null && gpus > largest.getValue()) {
            throw StudioException.invalidField(
                    "gpus",
                    "gpus " + gpus + " cannot ever fit: "
                            + (local
                                    ? "this machine (" + largest.getKey() + ")"
                                    : "the largest node (" + largest.getKey() + ")")
                            + " has " + largest.getValue() + " GPU(s)"
                            + (local || perNode.size() == 1 ? "" : " of " + perNode.size() + " nodes reporting")
                            + "; ask for at most " + largest.getValue());
        }
        if (!request.autoParallelism()) {
            return request;
        }
        return recommender
                .recommend(request, gpus, nodes)
                .filter(layout -> layout.equals("ddp") || layout.equals("fsdp"))
                .map(request::withParallelism)
                .orElse(request);
    }
}
