package io.sage.studio.chat.runtime;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonValue;

import io.sage.studio.chat.registry.ServableModel;

/**
 * A serving engine this service started: how to reach it, how to find it again after a restart, and which
 * LoRA adapters it holds. Immutable; changes make a new record.
 *
 * @param id           backend id
 * @param runtime      {@code local}, {@code kubernetes} or {@code none}
 * @param spec         what it was started with
 * @param baseUrl      OpenAI-compatible base URL without {@code /v1}
 * @param port         local port, or {@code null}
 * @param pid          local process id, or {@code null}
 * @param processStart the local process's start time (to recognise it after a restart), or {@code null}
 * @param deployment   Kubernetes Deployment name, or {@code null}
 * @param logFile      local log file, or {@code null}
 * @param adapters     LoRA adapters loaded now, name → path
 * @param state        lifecycle state
 * @param startedAt    when it was started
 */
public record Backend(
        String id,
        String runtime,
        BackendSpec spec,
        String baseUrl,
        Integer port,
        Long pid,
        Instant processStart,
        String deployment,
        String logFile,
        Map<String, String> adapters,
        State state,
        Instant startedAt) {

    public enum State {
        STARTING,
        READY,
        DRAINING,
        STOPPED,
        FAILED;

        @JsonValue
        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public Backend {
        adapters = adapters == null ? Map.of() : Map.copyOf(adapters);
    }

    public Backend withState(State newState) {
        return new Backend(
                id,
                runtime,
                spec,
                baseUrl,
                port,
                pid,
                processStart,
                deployment,
                logFile,
                adapters,
                newState,
                startedAt);
    }

    public Backend withAdapter(String name, String path) {
        Map<String, String> more = new LinkedHashMap<>(adapters);
        more.put(name, path);
        return new Backend(
                id, runtime, spec, baseUrl, port, pid, processStart, deployment, logFile, more, state, startedAt);
    }

    public Backend withoutAdapter(String name) {
        Map<String, String> fewer = new LinkedHashMap<>(adapters);
        fewer.remove(name);
        return new Backend(
                id, runtime, spec, baseUrl, port, pid, processStart, deployment, logFile, fewer, state, startedAt);
    }

    /**
     * The spec that starts this engine again with the adapters it holds now (for a rollback of a recreate), to serve
     * {@code model}, on the same GPUs.
     */
    public BackendSpec restartSpec(String newId, ServableModel model) {
        Map<String, String> all = new LinkedHashMap<>(spec.adapters());
        all.putAll(adapters);
        return new BackendSpec(
                newId,
                spec.modelPath(),
                spec.servedName(),
                spec.loraEnabled(),
                spec.maxLoraRank(),
                all,
                model,
                spec.tensorParallelSize(),
                spec.gpus());
    }
}
