package io.sage.studio.chat.switching;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

import io.sage.studio.chat.registry.ServableModel;
import io.sage.studio.chat.switching.SwitchOperation.State;
import io.sage.studio.chat.switching.SwitchOperation.Step;
import io.sage.studio.chat.switching.SwitchOperation.Timings;

/** A switch in progress: the mutable side of {@link SwitchOperation}. Every change is reported to a listener (the store). */
final class Operation {

    private static final Logger LOG = Logger.getLogger(Operation.class);

    private final String id;
    private final String model;
    private final String taskId;
    private final String requestedBy;
    private final Instant requestedAt;
    private final List<Step> steps = new ArrayList<>();
    private final CompletableFuture<SwitchOperation> done = new CompletableFuture<>();
    private final Consumer<SwitchOperation> listener;
    private final boolean localEngines;
    private SwitchStrategy strategy;
    private State state = State.PENDING;
    private String error;
    private boolean rolledBack;
    private Instant readyAt;
    private Instant routedAt;
    private Instant finishedAt;
    private Long downtimeMs;
    private String servedModelName;
    private String currentModel;
    private String modelPath;
    private boolean restarted;
    private boolean evaluationForced;

    Operation(
            String id,
            String model,
            String taskId,
            SwitchStrategy strategy,
            String requestedBy,
            Instant requestedAt,
            boolean localEngines,
            Consumer<SwitchOperation> listener) {
        this.id = id;
        this.model = model;
        this.taskId = taskId;
        this.strategy = strategy;
        this.requestedBy = requestedBy;
        this.requestedAt = requestedAt;
        this.localEngines = localEngines;
        this.listener = listener;
    }

    String id() {
        return id;
    }

    Instant requestedAt() {
        return requestedAt;
    }

    CompletableFuture<SwitchOperation> done() {
        return done;
    }

    synchronized State state() {
        return state;
    }

    synchronized void strategy(SwitchStrategy chosen, String why) {
        strategy = chosen;
        addStep("strategy " + chosen + ": " + why);
        publish();
    }

    /** Moves to {@code next} and records why. */
    synchronized void step(State next, String message) {
        state = next;
        addStep(message);
        publish();
    }

    /** Records a step without changing the state. */
    synchronized void note(String message) {
        addStep(message);
        publish();
    }

    synchronized void ready() {
        readyAt = Instant.now();
    }

    synchronized void routed(Instant at, String served, ServableModel model) {
        routedAt = at;
        servedModelName = served;
        currentModel = model.displayName();
        modelPath = model.modelPath();
    }

    synchronized void downtime(Duration downtime) {
        downtimeMs = downtime.toMillis();
    }

    synchronized void restarted() {
        restarted = true;
    }

    /** Ends the operation successfully; an operation that ended already stays as it is. */
    synchronized void complete(String message) {
        if (state.terminal()) {
            return;
        }
        state = State.COMPLETED;
        finishedAt = Instant.now();
        if (downtimeMs == null) {
            downtimeMs = 0L;
        }
        addStep(message);
        finish();
    }

    /** Ends the operation as failed; an operation that ended already stays as it is. */
    synchronized void fail(String reason, boolean rollback) {
        if (state.terminal()) {
            return;
        }
        state = State.FAILED;
        error = reason;
        rolledBack = rollback;
        finishedAt = Instant.now();
        addStep("failed: " + reason);
        finish();
    }

    /** Whoever waits learns the outcome even when recording it fails. */
    private void finish() {
        SwitchOperation view = view();
        try {
            listener.accept(view);
        } catch (RuntimeException e) {
            LOG.warnf("cannot record the outcome of switch %s: %s", id, e.getMessage());
        }
        done.complete(view);
    }

    /** {@code force} let the switch past the evaluation gate; {@code why} is what the gate would have said. */
    synchronized void evaluationForced(String why) {
        evaluationForced = true;
        addStep(why);
    }

    synchronized SwitchOperation view() {
        return new SwitchOperation(
                id,
                model,
                taskId,
                strategy,
                state,
                error,
                rolledBack,
                new Timings(requestedAt, readyAt, routedAt, finishedAt, downtimeMs),
                List.copyOf(steps),
                requestedBy,
                servedModelName,
                currentModel,
                modelPath,
                state == State.COMPLETED && localEngines,
                restarted,
                evaluationForced);
    }

    private void addStep(String message) {
        steps.add(new Step(Instant.now(), message));
    }

    /** Reports a change; a listener that fails (the store) never fails the switch itself. */
    private void publish() {
        try {
            listener.accept(view());
        } catch (RuntimeException e) {
            LOG.warnf("cannot record step of switch %s: %s", id, e.getMessage());
        }
    }
}
