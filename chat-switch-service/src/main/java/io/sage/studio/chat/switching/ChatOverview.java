package io.sage.studio.chat.switching;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.chat.runtime.ServingRuntime;
import io.sage.studio.chat.state.ChatState;
import io.sage.studio.chat.state.PublishedRoute;
import io.sage.studio.chat.state.RouteState;

/** Read models of the current route and the engines, for the API. */
@ApplicationScoped
public class ChatOverview {

    private final ChatState state;
    private final ServingRuntime runtime;
    private final SwitchService switches;

    public ChatOverview(ChatState state, ServingRuntime runtime, SwitchService switches) {
        this.state = state;
        this.runtime = runtime;
        this.switches = switches;
    }

    /**
     * {@code GET /api/finetune/current-model}.
     *
     * @param currentModel the seed's field: the model's path (or id), which {@code switch-model?model_path=} takes back
     *     and resolves to the same model — a base model's id or folder, a LoRA adapter's folder, a merged model's
     *     folder, the cloud model's name; {@code null} when nothing serves
     * @param displayName how users see the model (registry name, served name or id); {@code current_model} held it
     *     before the seed's meaning was restored
     * @param modelPath the same as {@code current_model}
     */
    public record CurrentModel(
            String currentModel,
            String displayName,
            String modelPath,
            String servedModelName,

            @Schema(
                    required = true,
                    enumeration = {"base", "finetuned", "cloud", "none"})
            String kind,

            String baseModel,
            String baseUrl,
            RouteState state,
            @Schema(required = true) boolean llmServiceRunning,
            Instant since,
            String runtime,
            @Schema(required = true) long revision,
            String switchInProgress) {}

    /** One engine of {@code GET /api/chat/backends}. */
    public record BackendView(
            String id,
            String modelPath,
            String servedModelName,
            String baseUrl,
            String runtime,
            String state,
            boolean active,
            Long pid,
            Integer port,
            String deployment,
            List<Adapter> adapters,
            Instant startedAt) {}

    public record Adapter(String name, String path) {}

    public CurrentModel current() {
        RouteState routeState = state.routeState();
        Optional<PublishedRoute> route = state.route();
        boolean running =
                state.activeBackend().map(b -> runtime.liveness(b).alive()).orElse(false);
        String inProgress = switches.running().orElse(null);
        if (route.isEmpty() || routeState == RouteState.NONE) {
            return new CurrentModel(
                    null,
                    null,
                    null,
                    null,
                    "none",
                    null,
                    null,
                    routeState,
                    running,
                    null,
                    runtime.name(),
                    state.revision(),
                    inProgress);
        }
        PublishedRoute r = route.get();
        return new CurrentModel(
                r.model().modelPath(),
                r.model().displayName(),
                r.model().modelPath(),
                r.servedModelName(),
                r.model().kind(),
                r.model().baseModel(),
                r.baseUrl(),
                routeState,
                running,
                r.since(),
                r.runtime(),
                state.revision(),
                inProgress);
    }

    public List<BackendView> backends() {
        String activeId = state.routeState() == RouteState.ACTIVE
                ? state.route().map(PublishedRoute::backendId).orElse(null)
                : null;
        return state.backends().stream()
                .map(b -> view(b, b.id().equals(activeId)))
                .toList();
    }

    private static BackendView view(Backend b, boolean active) {
        List<Adapter> adapters = b.adapters().entrySet().stream()
                .map(e -> new Adapter(e.getKey(), e.getValue()))
                .toList();
        return new BackendView(
                b.id(),
                b.spec().modelPath(),
                b.spec().servedName(),
                b.baseUrl(),
                b.runtime(),
                b.state().wire(),
                active,
                b.pid(),
                b.port(),
                b.deployment(),
                adapters,
                b.startedAt());
    }
}
