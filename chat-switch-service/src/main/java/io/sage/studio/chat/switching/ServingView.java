package io.sage.studio.chat.switching;

import java.time.Instant;
import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * {@code GET /api/chat/serving}: the engines that run and every model they make addressable by name — the default
 * ({@code sage-chat}) and the serving set — with where each runs, its part in a rollout and its traffic.
 *
 * @param engines      the engines, each with the adapters it holds
 * @param models       the default model first, then the models served by name, then one being loaded
 * @param defaultModel the served name {@code sage-chat} reaches ({@code default} on the wire), or {@code null}
 */
public record ServingView(
        @Schema(required = true) List<Engine> engines,
        @Schema(required = true) List<ServedModel> models,
        @JsonProperty("default") String defaultModel) {

    /**
     * One engine.
     *
     * @param id          backend id
     * @param baseModel   the model it loads (a LoRA adapter's base, or a merged/full model)
     * @param url         its OpenAI-compatible base URL without {@code /v1}
     * @param state       {@code starting|ready|draining|stopped|failed}
     * @param maxLoras    {@code --max-loras} (adapters in one batch); 0 without LoRA
     * @param maxLoraRank {@code --max-lora-rank}, or {@code null} without LoRA
     * @param maxCpuLoras how many adapters it holds at most ({@code --max-cpu-loras}); least recently used ones are
     *                    unloaded for new ones; 0 without LoRA
     * @param adapters    the LoRA adapters loaded now
     */
    @Schema(name = "ServingEngine")
    public record Engine(
            @Schema(required = true) String id,
            String baseModel,
            String url,
            String state,
            @Schema(required = true) int maxLoras,
            Integer maxLoraRank,
            @Schema(required = true) int maxCpuLoras,
            @Schema(required = true) List<ChatOverview.Adapter> adapters) {}

    /**
     * One model clients can name.
     *
     * @param model       the served name clients send
     * @param displayName the task id or model id (also accepted as {@code model})
     * @param engine      the backend id that serves it
     * @param kind        {@code base|lora|merged|cloud}
     * @param state       {@code loading|ready|failed} (failed: its engine is gone or not alive)
     * @param isDefault   what {@code sage-chat} reaches ({@code default} on the wire)
     * @param rollout     its arm in a running rollout, or {@code null}
     * @param loadedAt    when it became addressable
     * @param lastUsedAt  when a gateway last reported a request to it, or {@code null}
     * @param traffic     the gateways' totals since this service started
     */
    public record ServedModel(
            @Schema(required = true) String model,
            String displayName,
            String engine,

            @Schema(
                    required = true,
                    enumeration = {"base", "lora", "merged", "cloud"})
            String kind,

            @Schema(
                    required = true,
                    enumeration = {"loading", "ready", "failed"})
            String state,

            @JsonProperty("default") @Schema(required = true)
            boolean isDefault,

            RolloutArm rollout,
            Instant loadedAt,
            Instant lastUsedAt,
            @Schema(required = true) Traffic traffic) {}

    /**
     * A model's arm in a running rollout.
     *
     * @param arm    {@code baseline} (the default) or {@code candidate}
     * @param weight the candidate's share of {@code sage-chat} traffic now, in percent
     */
    public record RolloutArm(
            @Schema(required = true) String rolloutId,

            @Schema(
                    required = true,
                    enumeration = {"baseline", "candidate"})
            String arm,

            @Schema(required = true) int weight) {}

    /** Requests, errors and time to first token (bucket upper bounds, ms) as the gateways counted them. */
    @Schema(name = "ServedModelTraffic")
    public record Traffic(
            @Schema(required = true) long requests,
            @Schema(required = true) long errors,
            Long ttftP50Ms,
            Long ttftP95Ms) {}
}
