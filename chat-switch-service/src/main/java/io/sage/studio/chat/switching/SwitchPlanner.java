package io.sage.studio.chat.switching;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import io.sage.studio.chat.ChatSwitchError;
import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.registry.LoraSupport;
import io.sage.studio.chat.registry.ServableModel;
import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.chat.runtime.BackendSpec;
import io.sage.studio.chat.runtime.EngineArgs;
import io.sage.studio.chat.runtime.ServingRuntime;
import io.sage.studio.chat.state.ChatState;
import io.sage.studio.chat.state.PublishedRoute;
import io.sage.studio.chat.state.RouteState;
import io.sage.studio.common.error.StudioException;

/**
 * Chooses how to switch. {@code auto}: the model already serves → nothing; a LoRA adapter (or the base model)
 * of the running engine's base → hot-load (route only for the base); nothing serves → start it; else blue-green
 * when a second engine fits ({@link GpuCapacity}), recreate when not. An explicit strategy that cannot apply is
 * a 400 that says why.
 */
@ApplicationScoped
class SwitchPlanner {

    private final ChatConfig config;
    private final ChatState state;
    private final ServingRuntime runtime;
    private final GpuCapacity capacity;
    private final LoraSupport loraSupport;

    SwitchPlanner(
            ChatConfig config, ChatState state, ServingRuntime runtime, GpuCapacity capacity, LoraSupport loraSupport) {
        this.config = config;
        this.state = state;
        this.runtime = runtime;
        this.capacity = capacity;
        this.loraSupport = loraSupport;
    }

    Plan plan(ServableModel target, SwitchStrategy requested, boolean restart) {
        return plan(target, requested, restart, null);
    }

    /**
     * @param tensorParallelSize the switch's {@code tensor_parallel_size} for a new engine, or {@code null} to size it
     *     from the model and the GPUs ({@link GpuCapacity#tensorParallel}); checked here, so a bad one is a 400 before
     *     anything starts
     */
    Plan plan(ServableModel target, SwitchStrategy requested, boolean restart, Integer tensorParallelSize) {
        SwitchStrategy asked = requested == null ? config.strategy() : requested;
        Optional<PublishedRoute> route = state.route();
        boolean routed = state.routeState() == RouteState.ACTIVE
                && route.isPresent()
                && route.get().model().id().equals(target.id());
        if (!runtime.hasEngines()) {
            return routed
                    ? new Plan(SwitchStrategy.NONE, target.displayName() + " already serves", target, null, null, false)
                    : new Plan(SwitchStrategy.CLOUD, "runtime none routes to the cloud API", target, null, null, false);
        }
        Optional<Backend> active =
                state.activeBackend().filter(b -> runtime.liveness(b).alive());
        servable(target);
        BackendSpec fresh = spec(target, tensorParallelSize);
        if (restart) {
            return new Plan(
                    SwitchStrategy.RECREATE,
                    "the engine of the active model died; starting it again",
                    target,
                    state.activeBackend().orElse(null),
                    fresh,
                    true);
        }
        if (routed && active.isPresent()) {
            return new Plan(
                    SwitchStrategy.NONE, target.displayName() + " already serves", target, active.get(), null, false);
        }
        Optional<Backend> byName = servedByName(target);
        if (byName.isPresent() && (asked == SwitchStrategy.AUTO || asked == SwitchStrategy.LORA_HOT_LOAD)) {
            return new Plan(
                    SwitchStrategy.LORA_HOT_LOAD,
                    target.displayName() + " is served by name on engine "
                            + byName.get().id() + "; only the route changes",
                    target,
                    byName.get(),
                    null,
                    false);
        }
        String notHotLoadable = active.isPresent() ? whyNotHotLoadable(active.get(), target) : "no engine serves now";
        switch (asked) {
            case LORA_HOT_LOAD -> {
                if (notHotLoadable != null) {
                    throw new StudioException(
                            ChatSwitchError.STRATEGY_NOT_APPLICABLE,
                            "lora-hot-load cannot switch to " + target.displayName() + ": " + notHotLoadable);
                }
                return hotLoad(target, active.get());
            }
            case BLUE_GREEN, RECREATE -> {
                return new Plan(asked, "requested", target, active.orElse(null), fresh, false);
            }
            default -> {
                if (notHotLoadable == null) {
                    return hotLoad(target, active.get());
                }
                if (active.isEmpty()) {
                    return new Plan(
                            SwitchStrategy.BLUE_GREEN,
                            "no engine serves now; starting one",
                            target,
                            null,
                            fresh,
                            false);
                }
                GpuCapacity.Decision fit = capacity.secondEngineFits(target);
                return new Plan(
                        fit.fitsTwo() ? SwitchStrategy.BLUE_GREEN : SwitchStrategy.RECREATE,
                        "not hot-loadable (" + notHotLoadable + "); " + fit.reason(),
                        target,
                        active.get(),
                        fresh,
                        false);
            }
        }
    }

    /** The running engine that serves {@code target} by name (the serving set), if any. */
    private Optional<Backend> servedByName(ServableModel target) {
        return state.served().stream()
                .filter(r -> r.servedModelName().equals(target.servedName())
                        || r.model().id().equals(target.id()))
                .findFirst()
                .flatMap(r -> state.backend(r.backendId()))
                .filter(b ->
                        b.state() == Backend.State.READY && runtime.liveness(b).alive());
    }

    /**
     * A LoRA adapter vLLM can serve at all: rank at most 512 (vLLM's largest {@code --max-lora-rank}) and a base whose
     * architecture supports LoRA; else a 400 that says which limit it breaks.
     */
    void servable(ServableModel target) {
        if (!target.isLora()) {
            return;
        }
        if (EngineArgs.maxLoraRankFor(target.loraRank()).isEmpty()) {
            throw new StudioException(
                    ChatSwitchError.LORA_RANK_TOO_HIGH,
                    "the adapter " + target.displayName() + " has rank " + target.loraRank()
                            + ", above vLLM's largest --max-lora-rank " + EngineArgs.MAX_LORA_RANK
                            + ": merge it into its base model (POST /api/finetune/tasks/{id}/merge) and serve the"
                            + " merged model, or train with lora_r at most " + EngineArgs.MAX_LORA_RANK);
        }
        loraSupport.whyNot(target.enginePath()).ifPresent(why -> {
            throw new StudioException(
                    ChatSwitchError.LORA_NOT_SUPPORTED,
                    "the adapter " + target.displayName() + " cannot be served: " + why
                            + "; serve its merged model instead");
        });
    }

    private Plan hotLoad(ServableModel target, Backend engine) {
        String why = target.isLora()
                ? "adapter of rank " + target.loraRank() + " for " + target.enginePath()
                        + " loads into the running engine " + engine.id()
                : "the running engine " + engine.id() + " serves this base model; only the route changes";
        return new Plan(SwitchStrategy.LORA_HOT_LOAD, why, target, engine, null, false);
    }

    /** {@code null} when {@code target} can be served by {@code engine} without a restart, else the reason. */
    String whyNotHotLoadable(Backend engine, ServableModel target) {
        BackendSpec spec = engine.spec();
        if (engine.state() != Backend.State.READY) {
            return "the running engine is " + engine.state().wire();
        }
        if (!sameModel(spec.modelPath(), target.enginePath())) {
            return "the running engine serves " + spec.modelPath() + ", not " + target.enginePath();
        }
        if (target.artifact() == ServableModel.Artifact.BASE) {
            return null;
        }
        if (!target.isLora()) {
            return "a merged model needs an engine of its own";
        }
        if (!spec.loraEnabled()) {
            return "the running engine was started without --enable-lora";
        }
        int engineRank = allowedRank(spec.maxLoraRank());
        if (target.loraRank() > engineRank) {
            return "the adapter's rank " + target.loraRank() + " is above the engine's --max-lora-rank " + engineRank;
        }
        return null;
    }

    /** The engine to start for {@code target}, its tensor-parallel size sized from the model and the GPUs. */
    BackendSpec spec(ServableModel target) {
        return spec(target, null);
    }

    /**
     * The engine to start for {@code target}: its base with the adapter preloaded for a LoRA, else the model itself;
     * sharded over {@code tensorParallelSize} GPUs (null: {@link GpuCapacity#tensorParallel} sizes it), on GPUs of this
     * node no running engine holds where there are such.
     */
    BackendSpec spec(ServableModel target, Integer tensorParallelSize) {
        List<Integer> held =
                state.backends().stream().flatMap(b -> b.spec().gpus().stream()).toList();
        GpuCapacity.TensorPlan tp = capacity.tensorParallel(target, tensorParallelSize, held);
        return engineSpec(target).withTensorParallel(tp.size(), tp.gpus());
    }

    private BackendSpec engineSpec(ServableModel target) {
        String id = "b-" + UUID.randomUUID().toString().substring(0, 8);
        int maxRank = config.lora().maxRank();
        if (target.isLora()) {
            return new BackendSpec(
                    id,
                    target.enginePath(),
                    target.engineServedName(),
                    true,
                    allowedRank(Math.max(maxRank, target.loraRank())),
                    Map.of(target.servedName(), target.adapterPath()),
                    target);
        }
        boolean lora = config.lora().enabled()
                && loraSupport.whyNot(target.enginePath()).isEmpty();
        return new BackendSpec(
                id, target.enginePath(), target.servedName(), lora, allowedRank(maxRank), Map.of(), target);
    }

    /** {@code rank} rounded up to a {@code --max-lora-rank} vLLM accepts (the planner refused anything above 512). */
    private static int allowedRank(int rank) {
        return EngineArgs.maxLoraRankFor(rank).orElse(EngineArgs.MAX_LORA_RANK);
    }

    static boolean sameModel(String a, String b) {
        String x = a.replaceAll("/+$", "");
        String y = b.replaceAll("/+$", "");
        if (x.equals(y)) {
            return true;
        }
        if (x.startsWith("/") && y.startsWith("/")) {
            try {
                return Files.isSameFile(Path.of(x), Path.of(y));
            } catch (IOException e) {
                return false;
            }
        }
        return false;
    }
}
