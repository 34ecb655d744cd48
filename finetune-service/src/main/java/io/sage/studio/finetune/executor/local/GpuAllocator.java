package io.sage.studio.finetune.executor.local;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which local runs hold which GPUs of this node (issue 21): a run holds exactly the GPUs it was given until it ends,
 * and of the waiting tasks (queue order) the first whose GPUs are free starts, so smaller tasks run beside a large one
 * on the GPUs it leaves free. A task that could not start for {@code reserveAfter} holds a reservation: the tasks
 * behind it may only use the GPUs beyond what it needs, so a stream of one-GPU tasks cannot starve a multi-GPU task
 * forever (it starts as soon as enough of the GPUs in use come free). How long a task has waited counts from the
 * first time it did not fit, in memory: a restart of the service starts the count again.
 *
 * <p>The pool is whatever the caller passes each time (telemetry may change); "GPUs" may also be the stand-in slots
 * of a node without known GPUs ({@link LocalExecutor}). Thread-safe; its maps hold running runs and waiting tasks only.
 */
final class GpuAllocator {

    /** A waiting task as the allocator sees it: its id and how many GPUs it needs on this node. */
    record Want(String taskId, int gpus) {}

    private final Duration reserveAfter;
    private final Clock clock;
    private final Map<String, List<Integer>> held = new LinkedHashMap<>();
    private final Map<String, Instant> blockedSince = new HashMap<>();

    GpuAllocator(Duration reserveAfter, Clock clock) {
        this.reserveAfter = reserveAfter;
        this.clock = clock;
    }

    /**
     * Of {@code waiting} (in queue order), the first task that can start now on the free GPUs of {@code pool}, with
     * the GPUs that tasks ahead of it which waited longer than {@code reserveAfter} need kept for them. A task that
     * needs more GPUs than the pool has is passed over (it can never start here) and reserves nothing.
     */
    synchronized Optional<Want> next(List<Integer> pool, List<Want> waiting) {
        int available = free(pool).size();
        int reserved = 0;
        Instant now = clock.instant();
        Set<String> seen = new HashSet<>();
        Want chosen = null;
        for (Want want : waiting) {
            seen.add(want.taskId());
            if (want.gpus() > pool.size()) {
                continue;
            }
            if (want.gpus() <= available - reserved) {
                chosen = want;
                break;
            }
            Instant since = blockedSince.computeIfAbsent(want.taskId(), id -> now);
            if (!since.plus(reserveAfter).isAfter(now)) {
                reserved += want.gpus();
            }
        }
        blockedSince.keySet().retainAll(seen);
        if (chosen != null) {
            blockedSince.remove(chosen.taskId());
        }
        return Optional.ofNullable(chosen);
    }

    /**
     * Gives the run {@code key} {@code count} free GPUs of {@code pool} (the lowest indices); empty, and nothing held,
     * when fewer are free.
     */
    synchronized List<Integer> take(String key, List<Integer> pool, int count) {
        List<Integer> free = free(pool);
        if (free.size() < count) {
            return List.of();
        }
        List<Integer> taken = List.copyOf(free.subList(0, count));
        held.put(key, taken);
        return taken;
    }

    /** Records that the run {@code key} holds {@code gpus} (a trainer re-adopted after a restart of the service). */
    synchronized void hold(String key, List<Integer> gpus) {
        held.put(key, List.copyOf(gpus));
    }

    /** The run {@code key} ended (exited, cancelled, or is no longer watched): its GPUs are free. */
    synchronized void release(String key) {
        held.remove(key);
    }

    /** Forgets every run (the executor stops watching; the next start re-adopts them). */
    synchronized void clear() {
        held.clear();
        blockedSince.clear();
    }

    /** The GPUs of {@code pool} no run holds, in pool order. */
    synchronized List<Integer> free(List<Integer> pool) {
        Set<Integer> inUse = new HashSet<>();
        held.values().forEach(inUse::addAll);
        List<Integer> free = new ArrayList<>();
        for (Integer gpu : pool) {
            if (!inUse.contains(gpu)) {
                free.add(gpu);
            }
        }
        return free;
    }
}
