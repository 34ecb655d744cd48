package io.sage.studio.cli.api;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * {@code GET /api/chat/serving}: the engines that run and every model they make addressable by name. The CLI reads it
 * to print {@code sage serve} and to follow a model until it is ready.
 *
 * @param defaultModel the served name {@code sage-chat} reaches ({@code default} on the wire), or {@code null}
 */
public record ServingView(
        List<Engine> engines,
        List<ServedModel> models,
        @JsonProperty("default") String defaultModel) {

    public ServingView {
        engines = engines == null ? List.of() : engines;
        models = models == null ? List.of() : models;
    }

    /** The served model a name means: its served name or its display name (a task id, a model id). */
    public ServedModel find(String name) {
        for (ServedModel m : models) {
            if (name.equals(m.model()) || name.equals(m.displayName())) {
                return m;
            }
        }
        return null;
    }

    /**
     * One model server; {@code adapters} are the LoRA adapters loaded on it.
     *
     * @param maxLoras adapters in one batch ({@code --max-loras})
     * @param maxCpuLoras adapters it holds at most ({@code --max-cpu-loras}); the least recently used one is unloaded
     *     for a new one
     */
    public record Engine(
            String id,
            String baseModel,
            String url,
            String state,
            Integer maxLoras,
            Integer maxCpuLoras,
            List<Adapter> adapters) {

        public Engine {
            adapters = adapters == null ? List.of() : adapters;
        }

        /** How many adapters it holds at most: {@code max_cpu_loras}, else {@code max_loras}. */
        public Integer capacity() {
            return maxCpuLoras != null ? maxCpuLoras : maxLoras;
        }
    }

    /** A LoRA adapter loaded on an engine. */
    public record Adapter(String name, String path) {}
}
