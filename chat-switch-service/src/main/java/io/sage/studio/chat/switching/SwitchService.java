package io.sage.studio.chat.switching;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.sage.studio.chat.ChatSwitchError;
import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.messaging.ProducerTimeouts;
import io.sage.studio.chat.messaging.RoutePublisher;
import io.sage.studio.chat.metrics.ChatMetrics;
import io.sage.studio.chat.registry.ServableModel;
import io.sage.studio.chat.registry.ServableModelResolver;
import io.sage.studio.chat.runtime.ServingRuntime;
import io.sage.studio.chat.runtime.cloud.CloudApi;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.common.kafka.EventMessages;
import io.sage.studio.events.ChatSwitchCommandEvent;
import io.smallrye.reactive.messaging.MutinyEmitter;

/**
 * The switch slot and the way into it. A REST request is checked, planned and given the slot synchronously (a
 * second one gets 409 with the running operation's id), then published as a {@link ChatSwitchCommandEvent} on
 * {@code studio.chat.commands}; the command, when it comes back from the topic, starts the execution. A command
 * from another producer takes the same path without the synchronous part. Start-up and the crash monitor submit
 * directly. One executor thread runs one switch at a time.
 */
@ApplicationScoped
public class SwitchService {

    /** Name of the thread switches run on. */
    public static final String EXECUTOR_THREAD = "chat-switch";

    private static final Logger LOG = Logger.getLogger(SwitchService.class);

    private final ChatConfig config;
    private final ServableModelResolver resolver;
    private final SwitchPlanner planner;
    private final SwitchExecutor executor;
    private final OperationStore store;
    private final ServingRuntime runtime;
    private final CloudApi cloud;
    private final MutinyEmitter<ChatSwitchCommandEvent> commands;
    private final EvaluationGate evaluations;
    private final ChatMetrics metrics;
    private final AtomicReference<String> slot = new AtomicReference<>();
    private final Map<String, Prepared> prepared = new ConcurrentHashMap<>();
    private final Map<String, Operation> live = new ConcurrentHashMap<>();
    private final ThreadPoolExecutor worker;
    private volatile boolean accepting;
    /** Commands from Kafka wait for start-up (state, operations, the route) before they are looked at. */
    private final CountDownLatch started = new CountDownLatch(1);

    SwitchService(
            ChatConfig config,
            ServableModelResolver resolver,
            SwitchPlanner planner,
            SwitchExecutor executor,
            OperationStore store,
            ServingRuntime runtime,
            CloudApi cloud,
            EvaluationGate evaluations,
            ChatMetrics metrics,
            @Channel("chat-commands-out") MutinyEmitter<ChatSwitchCommandEvent> commands) {
        this.config = config;
        this.metrics = metrics;
        this.evaluations = evaluations;
        this.resolver = resolver;
        this.planner = planner;
        this.executor = executor;
        this.store = store;
        this.runtime = runtime;
        this.cloud = cloud;
        this.commands = commands;
        // One switch at a time; commands from Kafka wait in a bounded queue (a flood of them is refused, not buffered).
        this.worker = new ThreadPoolExecutor(
                1,
                1,
                0,
                TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(config.maxQueuedCommands()),
                r -> {
                    Thread thread = new Thread(r, EXECUTOR_THREAD);
                    thread.setDaemon(true);
                    return thread;
                },
                new ThreadPoolExecutor.AbortPolicy());
    }

    /** A planned switch waiting for its command to come back from Kafka. */
    private record Prepared(Operation operation, Plan plan, Instant at) {}

    /** Opens the service to requests once start-up (state, re-adoption) is done. */
    public void accept() {
        accepting = true;
        started.countDown();
    }

    public boolean accepting() {
        return accepting;
    }

    /** The id of the switch holding the slot, if any. */
    public Optional<String> running() {
        return Optional.ofNullable(slot.get());
    }

    /**
     * A switch asked for over REST: resolves and plans it now (a {@code StudioException} on a bad request,
     * {@code switch_in_progress} while another runs),
     * publishes the command and returns the pending operation.
     */
    public SwitchOperation request(String model, String taskId, String strategy, String requestedBy) {
        return request(model, taskId, strategy, requestedBy, null, null);
    }

    /**
     * As above, through the {@link EvaluationGate}: a task's model needs a completed evaluation that is not
     * {@code worse} when {@code requireEvaluation} (or, when {@code null}, {@code studio.chat.require-evaluation})
     * says so, unless {@code force}; an override is recorded on the operation ({@code evaluation_forced} and a step).
     */
    public SwitchOperation request(
            String model,
            String taskId,
            String strategy,
            String requestedBy,
            Boolean requireEvaluation,
            Boolean force) {
        return request(model, taskId, strategy, requestedBy, requireEvaluation, force, null);
    }

    /**
     * As above, a new engine sharded over {@code tensorParallelSize} GPUs ({@code null}: sized from the model and the
     * GPUs); a bad size is a 400 naming {@code tensor_parallel_size} before anything is published.
     */
    public SwitchOperation request(
            String model,
            String taskId,
            String strategy,
            String requestedBy,
            Boolean requireEvaluation,
            Boolean force,
            Integer tensorParallelSize) {
        if (!accepting) {
            throw new StudioException(
                    ChatSwitchError.NOT_READY, "the chat-switch-service is still starting; try again shortly");
        }
        SwitchStrategy asked = parseStrategy(strategy);
        ServableModel target = resolve(model, taskId);
        Optional<String> override = evaluations.check(EvaluationGate.taskOf(target), requireEvaluation, force);
        String id = UUID.randomUUID().toString();
        reserve(id);
        Operation op;
        Plan plan;
        try {
            plan = planner.plan(target, asked, false, tensorParallelSize);
            op = newOperation(id, model, taskId, asked == null ? config.strategy() : asked, requestedBy);
            override.ifPresent(op::evaluationForced);
            op.strategy(plan.strategy(), plan.reason());
        } catch (RuntimeException e) {
            release(id);
            throw e;
        }
        prepared.put(id, new Prepared(op, plan, Instant.now()));
        try {
            commands.sendMessage(EventMessages.of(
                            new ChatSwitchCommandEvent(
                                    ChatSwitchCommandEvent.SCHEMA_VERSION,
                                    id,
                                    model,
                                    taskId,
                                    asked == null ? null : asked.wire(),
                                    requestedBy,
                                    op.requestedAt()),
                            RoutePublisher.COMPONENT))
                    .await()
                    .atMost(ProducerTimeouts.COMMAND_PUBLISH_TIMEOUT);
        } catch (RuntimeException e) {
            if (prepared.remove(id) != null) {
                op.fail("cannot publish the switch command on Kafka: " + e.getMessage(), false);
                finish(op);
                throw new StudioException(
                        ChatSwitchError.KAFKA_UNAVAILABLE,
                        "the switch command could not be published: " + e.getMessage());
            }
        }
        return op.view();
    }

    /** A command read from {@code studio.chat.commands}: ours (prepared above) or another producer's. */
    public void onCommand(ChatSwitchCommandEvent command) {
        if (command == null || command.operationId() == null) {
            return;
        }
        Prepared mine = prepared.remove(command.operationId());
        if (mine != null) {
            if (!queue(() -> execute(mine.operation(), mine.plan()))) {
                mine.operation().fail("too many switch commands are waiting; try again shortly", false);
                finish(mine.operation());
            }
            return;
        }
        if (accepting
                && (live.containsKey(command.operationId())
                        || store.find(command.operationId()).isPresent())) {
            return;
        }
        Instant at = command.requestedAt() == null ? Instant.now() : command.requestedAt();
        if (Duration.between(at, Instant.now()).compareTo(config.commandMaxAge()) > 0) {
            LOG.infof(
                    "ignoring switch command %s from %s: older than %s",
                    command.operationId(), at, config.commandMaxAge());
            return;
        }
        if (!queue(() -> external(command))) {
            if (!accepting) {
                LOG.warnf("dropping switch command %s: too many arrived during start-up", command.operationId());
                return;
            }
            String by = command.requestedBy() == null ? "kafka" : command.requestedBy();
            Operation op =
                    newOperation(command.operationId(), command.model(), command.taskId(), config.strategy(), by);
            op.fail(
                    "too many switch commands are waiting (studio.chat.max-queued-commands="
                            + config.maxQueuedCommands() + ")",
                    false);
            live.remove(op.id());
        }
    }

    private boolean queue(Runnable task) {
        try {
            worker.execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /** A switch started by this service itself (start-up, crash monitor); empty when another switch holds the slot. */
    public Optional<SwitchOperation> submit(ServableModel target, String requestedBy, boolean restart) {
        String id = UUID.randomUUID().toString();
        if (!slot.compareAndSet(null, id)) {
            return Optional.empty();
        }
        Operation op = newOperation(
                id,
                target.modelPath(),
                target.taskId(),
                restart ? SwitchStrategy.RECREATE : config.strategy(),
                requestedBy);
        Plan plan;
        try {
            plan = planner.plan(target, null, restart);
        } catch (StudioException e) {
            op.fail(e.getMessage(), false);
            finish(op);
            return Optional.of(op.view());
        }
        op.strategy(plan.strategy(), plan.reason());
        if (!queue(() -> execute(op, plan))) {
            op.fail("too many switch commands are waiting; try again shortly", false);
            finish(op);
        }
        return Optional.of(op.view());
    }

    /** Completes when the operation ends (at once for one that ended already); empty for an unknown id. */
    public Optional<CompletableFuture<SwitchOperation>> completion(String id) {
        Operation op = live.get(id);
        if (op != null) {
            return Optional.of(op.done());
        }
        return store.find(id).map(CompletableFuture::completedFuture);
    }

    public Optional<SwitchOperation> find(String id) {
        Operation op = live.get(id);
        return op != null ? Optional.of(op.view()) : store.find(id);
    }

    public List<SwitchOperation> recent(int limit) {
        return store.recent(limit);
    }

    /** Fails planned switches whose command never came back (Kafka trouble), so the slot does not stay taken. */
    public void expireUndelivered() {
        Instant limit = Instant.now().minus(config.commandTimeout());
        for (Prepared p : prepared.values()) {
            if (p.at().isBefore(limit) && prepared.remove(p.operation().id(), p)) {
                p.operation()
                        .fail(
                                "the switch command did not come back from Kafka within "
                                        + config.commandTimeout().toSeconds() + " s",
                                false);
                finish(p.operation());
            }
        }
    }

    /**
     * Runs {@code action} holding the switch slot (e.g. stopping every engine); 409 while a switch runs.
     */
    public <T> T exclusively(String purpose, Supplier<T> action) {
        String id = purpose + "-" + UUID.randomUUID();
        reserve(id);
        try {
            return action.get();
        } finally {
            release(id);
        }
    }

    /**
     * Runs {@code action} holding the switch slot when it is free (the monitor's reconciliation); false, without
     * running it, while a switch holds the slot.
     */
    public boolean tryExclusively(String purpose, Runnable action) {
        String id = purpose + "-" + UUID.randomUUID();
        if (!slot.compareAndSet(null, id)) {
            return false;
        }
        try {
            action.run();
            return true;
        } finally {
            release(id);
        }
    }

    /**
     * Runs serving work ({@link ServingService}) on the switch thread for {@code op}, whose id holds the slot; the
     * operation ends and the slot is freed whatever {@code work} does.
     */
    void runServing(Operation op, Runnable work) {
        boolean queued = queue(() -> {
            try {
                work.run();
            } finally {
                if (!op.state().terminal()) {
                    op.fail("the serving operation ended without a result", false);
                }
                finish(op);
            }
        });
        if (!queued) {
            op.fail("too many switch commands are waiting; try again shortly", false);
            finish(op);
        }
    }

    private void external(ChatSwitchCommandEvent command) {
        try {
            started.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        String id = command.operationId();
        if (live.containsKey(id) || store.find(id).isPresent()) {
            return;
        }
        SwitchStrategy asked = parseStrategyQuietly(command.strategy());
        String by = command.requestedBy() == null ? "kafka" : command.requestedBy();
        if (!slot.compareAndSet(null, id)) {
            Operation op =
                    newOperation(id, command.model(), command.taskId(), asked == null ? config.strategy() : asked, by);
            op.fail("another switch is in progress (" + slot.get() + ")", false);
            live.remove(id);
            return;
        }
        Operation op =
                newOperation(id, command.model(), command.taskId(), asked == null ? config.strategy() : asked, by);
        Plan plan;
        try {
            if (command.strategy() != null && asked == null) {
                throw StudioException.invalidField("strategy", "unknown strategy " + command.strategy());
            }
            ServableModel target = resolve(command.model(), command.taskId());
            plan = planner.plan(target, asked, false);
        } catch (StudioException e) {
            op.fail(e.getMessage(), false);
            finish(op);
            return;
        }
        op.strategy(plan.strategy(), plan.reason());
        execute(op, plan);
    }

    private void execute(Operation op, Plan plan) {
        try {
            executor.run(op, plan);
        } finally {
            if (!op.state().terminal()) {
                op.fail("the switch ended without a result", false);
            }
            finish(op);
        }
    }

    void finish(Operation op) {
        live.remove(op.id());
        release(op.id());
    }

    Operation newOperation(String id, String model, String taskId, SwitchStrategy strategy, String requestedBy) {
        Operation op =
                new Operation(id, model, taskId, strategy, requestedBy, Instant.now(), runtime.hasEngines(), view -> {
                    store.save(view);
                    metrics.switched(view);
                });
        live.put(id, op);
        op.note("requested by " + requestedBy + ": " + (taskId != null ? "task " + taskId : model));
        return op;
    }

    void reserve(String id) {
        if (!slot.compareAndSet(null, id)) {
            String running = slot.get();
            throw new StudioException(
                    ChatSwitchError.SWITCH_IN_PROGRESS,
                    "another switch is in progress: " + running,
                    List.of(Map.of("operation_id", String.valueOf(running))));
        }
    }

    /** Takes the slot for {@code id} when it is free; false while something holds it. */
    boolean tryReserve(String id) {
        return slot.compareAndSet(null, id);
    }

    void release(String id) {
        slot.compareAndSet(id, null);
    }

    ServableModel resolve(String model, String taskId) {
        boolean hasModel = model != null && !model.isBlank();
        boolean hasTask = taskId != null && !taskId.isBlank();
        if (hasModel == hasTask) {
            throw StudioException.invalidField(
                    hasModel ? "task_id" : "model", "give exactly one of model (model_path) and task_id");
        }
        if (!runtime.hasEngines()) {
            String m = hasModel ? model.strip() : "";
            if (hasTask || m.startsWith("/") || m.startsWith("~") || m.startsWith(".")) {
                throw new StudioException(
                        ChatSwitchError.NO_LOCAL_ENGINE,
                        "the chat backend runs in cloud mode (runtime none): only models of the"
                                + " cloud API can serve; start the studio with a local engine to serve fine-tuned models");
            }
            return cloud.model(m);
        }
        return hasTask ? resolver.byTask(taskId.strip()) : resolver.byModel(model);
    }

    private static SwitchStrategy parseStrategy(String strategy) {
        if (strategy == null || strategy.isBlank()) {
            return null;
        }
        SwitchStrategy parsed = SwitchStrategy.fromWire(strategy);
        if (parsed == null || !parsed.requestable()) {
            throw StudioException.invalidField(
                    "strategy", "strategy must be one of auto, lora-hot-load, blue-green, recreate");
        }
        return parsed;
    }

    private static SwitchStrategy parseStrategyQuietly(String strategy) {
        try {
            return parseStrategy(strategy);
        } catch (StudioException e) {
            return null;
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        accepting = false;
        worker.shutdownNow();
    }
}
