package io.sage.studio.finetune.metrics;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

import jakarta.inject.Singleton;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.sage.studio.events.TaskEvent;
import io.sage.studio.finetune.domain.Task;
import io.sage.studio.finetune.domain.TaskStatus;
import io.sage.studio.finetune.domain.TrainingMethod;
import io.sage.studio.finetune.progress.ProgressTracker;
import io.sage.studio.finetune.queue.TaskQueue;
import io.sage.studio.finetune.task.TaskListener;
import io.sage.studio.finetune.task.TaskStore;

/**
 * The fine-tuning meters Prometheus scrapes from {@code /q/metrics} (names in docs/operator-guide.md, "Metrics"):
 * the training gauges of each running task ({@code studio_finetune_task_loss}, {@code _step},
 * {@code _tokens_per_second}, {@code _eval_loss}, labelled {@code task_id}, {@code base_model}, {@code method}),
 * tasks by state, tasks finished by final state, the queue's depth and the time tasks waited in it.
 *
 * <p>A task's gauges exist only while it runs (preparing or training) and are removed when it stops, so the series
 * stay bounded by the running tasks however many tasks the studio has seen. Their values are read when Prometheus
 * scrapes, from the task's {@code progress.jsonl} by a tracker of their own (the appended lines only), so a scrape
 * sees the trainer's latest record and the task machinery does no extra work between scrapes. The other maps here
 * hold tasks that are not finished (those waiting, those not yet counted as finished), at most {@value #MAX_TRACKED}.
 */
@Singleton
public class TrainingMetrics implements TaskListener {

    /** Bound of the per-task maps (waiting since, last live state): beyond it new tasks are not tracked. */
    static final int MAX_TRACKED = 10_000;
    /** Reads of one task's progress file are at most this often (four gauges share one read). */
    private static final Duration POLL_EVERY = Duration.ofMillis(500);

    private final MeterRegistry registry;
    private final TaskStore store;
    private final Map<String, RunGauges> running = new ConcurrentHashMap<>();
    private final Map<String, TaskStatus> live = new ConcurrentHashMap<>();
    private final Map<String, Instant> waitingSince = new ConcurrentHashMap<>();
    private final Map<TaskStatus, Counter> finished = new EnumMap<>(TaskStatus.class);
    private final Timer queueWait;
    private final StateCounts states;

    public TrainingMetrics(MeterRegistry registry, TaskStore store, TaskQueue queue) {
        this.registry = registry;
        this.store = store;
        this.states = new StateCounts(store);
        Gauge.builder("studio.finetune.queue.depth", queue, TaskQueue::size)
                .description("Tasks waiting in the queue for a slot")
                .register(registry);
        this.queueWait = Timer.builder("studio.finetune.queue.wait")
                .description("From a task joining the queue to an executor taking it")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofSeconds(1))
                .maximumExpectedValue(Duration.ofDays(1))
                .register(registry);
        for (TaskStatus status : TaskStatus.values()) {
            if (status == TaskStatus.PENDING) {
                continue; // counted as queued: the service treats a seed's pending task as queued
            }
            Gauge.builder("studio.finetune.tasks", states, s -> s.count(status))
                    .description("Tasks the service holds, by state")
                    .tag("state", status.wire())
                    .register(registry);
            if (status.terminal()) {
                finished.put(
                        status,
                        Counter.builder("studio.finetune.tasks.finished")
                                .description("Tasks that reached a final state since the service started")
                                .tag("state", status.wire())
                                .register(registry));
            }
        }
    }

    @Override
    public void changed(TaskEvent.Kind kind, Task task, long revision) {
        String id = task.taskId();
        if (kind == TaskEvent.Kind.DELETED) {
            live.remove(id);
            waitingSince.remove(id);
            stopGauges(id);
            return;
        }
        TaskStatus status = task.status();
        if (status.waiting()) {
            if (waitingSince.size() < MAX_TRACKED) {
                waitingSince.putIfAbsent(
                        id,
                        kind == TaskEvent.Kind.CREATED && task.createdAt() != null ? task.createdAt() : Instant.now());
            }
        } else {
            Instant since = waitingSince.remove(id);
            if (since == null && status == TaskStatus.PREPARING && task.attempt() == 1 && !running.containsKey(id)) {
                // Queued before this service started (restored from disk): the first attempt queued at creation.
                since = task.createdAt();
            }
            if (since != null && status.running()) {
                queueWait.record(Duration.between(since, Instant.now()).abs());
            }
        }
        if (status.terminal()) {
            if (live.remove(id) != null) {
                finished.get(status).increment();
            }
        } else if (live.size() < MAX_TRACKED || live.containsKey(id)) {
            live.put(id, status);
        }
        if (status.running()) {
            running.computeIfAbsent(id, k -> new RunGauges(task));
        } else {
            stopGauges(id);
        }
    }

    private void stopGauges(String id) {
        RunGauges gauges = running.remove(id);
        if (gauges != null) {
            gauges.remove();
        }
    }

    /** The task ids whose training gauges are registered now (those running). */
    public List<String> running() {
        return List.copyOf(running.keySet());
    }

    /** The four gauges of one running task and the tracker they read. */
    private final class RunGauges {

        private final ProgressTracker tracker;
        private final List<Meter> meters;
        private long polledAt;

        RunGauges(Task task) {
            this.tracker = new ProgressTracker(store.dir(task.taskId()));
            TrainingMethod method = task.method();
            Tags tags = Tags.of(
                    "task_id", task.taskId(),
                    "base_model", String.valueOf(task.modelName()),
                    "method", method == null ? "unknown" : method.wire());
            this.meters = List.of(
                    gauge("studio.finetune.task.loss", "The task's latest training loss", tags, ProgressTracker::loss),
                    gauge("studio.finetune.task.step", "The task's latest optimizer step", tags, t ->
                            (double) t.step()),
                    gauge(
                            "studio.finetune.task.tokens.per.second",
                            "The trainer's latest throughput, input tokens a second",
                            tags,
                            ProgressTracker::tokensPerSecond),
                    gauge(
                            "studio.finetune.task.eval.loss",
                            "The task's latest validation loss (none without a validation set)",
                            tags,
                            ProgressTracker::evalLoss));
        }

        private Meter gauge(String name, String description, Tags tags, Function<ProgressTracker, Double> value) {
            ToDoubleFunction<RunGauges> read = g -> {
                Double v = g.read(value);
                return v == null ? Double.NaN : v;
            };
            return Gauge.builder(name, this, read)
                    .description(description)
                    .tags(tags)
                    .register(registry);
        }

        private synchronized Double read(Function<ProgressTracker, Double> value) {
            long now = System.nanoTime();
            if (polledAt == 0 || now - polledAt >= POLL_EVERY.toNanos()) {
                polledAt = now;
                try {
                    tracker.poll();
                } catch (IOException e) {
                    // The last values stay; the next scrape reads again.
                }
            }
            return value.apply(tracker);
        }

        void remove() {
            meters.forEach(registry::remove);
        }
    }

    /** Tasks by state, counted once per scrape (the eight state gauges share one pass over the tasks). */
    private static final class StateCounts {

        private final TaskStore store;
        private Map<TaskStatus, Integer> counts = Map.of();
        private long countedAt;

        StateCounts(TaskStore store) {
            this.store = store;
        }

        synchronized double count(TaskStatus status) {
            long now = System.nanoTime();
            if (countedAt == 0 || now - countedAt >= POLL_EVERY.toNanos()) {
                countedAt = now;
                Map<TaskStatus, Integer> fresh = new EnumMap<>(TaskStatus.class);
                store.all()
                        .forEach(r -> fresh.merge(
                                r.status() == TaskStatus.PENDING ? TaskStatus.QUEUED : r.status(), 1, Integer::sum));
                counts = fresh;
            }
            return counts.getOrDefault(status, 0);
        }
    }
}
