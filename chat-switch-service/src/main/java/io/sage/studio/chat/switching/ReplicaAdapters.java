package io.sage.studio.chat.switching;

import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.chat.runtime.OpenAiProbe;
import io.sage.studio.chat.runtime.Replica;
import io.sage.studio.chat.runtime.ServingRuntime;
import io.sage.studio.chat.switching.SwitchExecutor.SwitchFailure;

/**
 * Keeps every replica of an engine holding the adapters loaded into it at runtime. vLLM keeps such an adapter in one
 * process's memory: a container that restarted, a pod that replaced another or one added later has none of them,
 * while the Service already sends it traffic. The monitor asks each replica whose process is new or unconfirmed
 * (its {@link Replica#generation() generation} changed, the expected adapters changed, or the runtime cannot tell)
 * which adapters it lists and loads the missing ones there; a replica confirmed with the same generation and
 * adapters is not asked again. What some ready replica lacks is what {@code GET /api/chat/serving} shows as
 * {@code loading}. Memory: one entry per replica of the engines in the state.
 */
@ApplicationScoped
class ReplicaAdapters {

    private static final Logger LOG = Logger.getLogger(ReplicaAdapters.class);

    private final ServingRuntime runtime;
    private final OpenAiProbe probe;
    private final EngineSteps steps;
    /** Engine id → replica name → what it was last seen holding in full. */
    private final Map<String, Map<String, Confirmed>> confirmed = new ConcurrentHashMap<>();
    /** Engine id → served names some ready replica lacks (as of the last check). */
    private final Map<String, Set<String>> missing = new ConcurrentHashMap<>();
    /** Engine id → "replica/adapter" whose reload failed and was logged (once, not every round). */
    private final Map<String, Set<String>> warned = new ConcurrentHashMap<>();

    private record Confirmed(String generation, Map<String, String> adapters) {}

    ReplicaAdapters(ServingRuntime runtime, OpenAiProbe probe, EngineSteps steps) {
        this.runtime = runtime;
        this.probe = probe;
        this.steps = steps;
    }

    /**
     * The replicas of {@code engine} that lack adapters of {@code expected} (name → path), with those adapters. A
     * replica that does not answer is left for the next round (health covers it).
     */
    Map<Replica, Map<String, String>> lost(Backend engine, Map<String, String> expected) {
        if (expected.isEmpty()) {
            missing.remove(engine.id());
            return Map.of();
        }
        List<Replica> replicas = runtime.replicas(engine);
        Map<String, Confirmed> seen = confirmed.computeIfAbsent(engine.id(), id -> new ConcurrentHashMap<>());
        List<String> names = replicas.stream().map(Replica::name).toList();
        seen.keySet().retainAll(names);
        Set<String> logged = warned.get(engine.id());
        if (logged != null) {
            logged.removeIf(key -> !names.contains(key.substring(0, key.indexOf('/'))));
        }
        Map<Replica, Map<String, String>> lost = new LinkedHashMap<>();
        for (Replica replica : replicas) {
            Confirmed last = seen.get(replica.name());
            if (last != null && replica.generation() != null && last.adapters().equals(expected)) {
                if (replica.generation().equals(last.generation())) {
                    continue;
                }
                LOG.infof(
                        "%s runs a new process (%s, was %s): checking its adapters",
                        EngineSteps.where(engine, replica), replica.generation(), last.generation());
            }
            Optional<Map<String, String>> listed = probe.loraRoots(replica.url());
            if (listed.isEmpty() || !probe.health(replica.url()).ok()) {
                continue;
            }
            Map<String, String> lacking = new LinkedHashMap<>(expected);
            lacking.keySet().removeAll(listed.get().keySet());
            if (lacking.isEmpty()) {
                seen.put(replica.name(), new Confirmed(replica.generation(), Map.copyOf(expected)));
            } else {
                seen.remove(replica.name());
                lost.put(replica, lacking);
            }
        }
        Set<String> absent = new HashSet<>();
        lost.values().forEach(m -> absent.addAll(m.keySet()));
        missing.put(engine.id(), Set.copyOf(absent));
        return lost;
    }

    /**
     * Loads on each replica what it lacks (same-path "already loaded" counts); the next round confirms it. A refusal is
     * logged once per replica and adapter until a load there succeeds.
     */
    void restore(Backend engine, Map<Replica, Map<String, String>> lost) {
        Set<String> logged = warned.computeIfAbsent(engine.id(), id -> ConcurrentHashMap.newKeySet());
        lost.forEach((replica, adapters) -> adapters.forEach((name, path) -> {
            String key = replica.name() + "/" + name;
            try {
                steps.loadAdapter(null, engine, replica, name, path);
                logged.remove(key);
                LOG.infof(
                        "%s had lost adapter %s (restarted or new); loaded it again",
                        EngineSteps.where(engine, replica), name);
            } catch (SwitchFailure e) {
                if (logged.add(key)) {
                    LOG.warnf(
                            "%s lost adapter %s and refused it again (tried every round, logged once): %s",
                            EngineSteps.where(engine, replica), name, e.getMessage());
                }
            }
        }));
    }

    /** Whether every ready replica of engine {@code engineId} held {@code served} at the last check. */
    boolean complete(String engineId, String served) {
        return !missing.getOrDefault(engineId, Set.of()).contains(served);
    }

    /** Forgets engines that are gone. */
    void retain(Collection<String> engineIds) {
        confirmed.keySet().retainAll(engineIds);
        missing.keySet().retainAll(engineIds);
        warned.keySet().retainAll(engineIds);
    }
}
