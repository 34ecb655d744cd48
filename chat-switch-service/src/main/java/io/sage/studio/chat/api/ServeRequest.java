package io.sage.studio.chat.api;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Body of {@code POST /api/chat/serving}.
 *
 * @param model    a task id, a model id, a registry name or a path in the studio home (what {@code POST /api/chat/switch}
 *                 takes), or a served name
 * @param onDemand the gateway's load on demand: only a hot-load onto a running engine is done (409
 *                 {@code not_loadable_on_demand} for a model that needs an engine of its own)
 * @param untilReady answer once the model serves (200) or the loading failed, instead of 202 at once ({@code wait} on the wire)
 * @param tensorParallelSize GPUs a new engine shards the model over, as on {@code POST /api/chat/switch}; ignored when
 *                 the model loads onto a running engine
 */
public record ServeRequest(
        String model,
        Boolean onDemand,
        @JsonProperty("wait") Boolean untilReady,
        @Schema(minimum = "1", maximum = "64") Integer tensorParallelSize) {}
