package io.sage.studio.chat.switching;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.sage.studio.chat.registry.ServableModel;
import io.sage.studio.chat.switching.SwitchOperation.State;
import io.sage.studio.chat.switching.SwitchOperation.Step;
import io.sage.studio.chat.switching.SwitchOperation.Timings;
import io.sage.studio.common.tracing.Tracing;

/**
 * A switch in progress: the mutable side of {@link SwitchOperation}. Every change is reported to a listener (the store).
 *
 * <p>Tracing: the operation remembers the trace context it was created in (the REST call's, or the Kafka command's).
 * Once {@link #trace(Tracer)} starts it, the switch is a span ({@code switch <strategy>}) in that trace, each state it
 * moves to a child span ({@code switch.starting}, {@code switch.waiting_ready}, …, ended by the next state or the
 * outcome), and notes become span events; the outcome sets the span's status. With tracing off every span is a no-op.
 */
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
    private final String traceparent;
    private final String tracestate;
    private Tracer tracer;
    private Span span;
    private Span stepSpan;

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
        this.traceparent = Tracing.currentTraceparent();
        this.tracestate = Tracing.currentTracestate();
    }

    /**
     * Starts the switch's span, a child of the context the operation was created in (a new trace when there was
     * none); the returned span is what the executor makes current while it works.
     */
    synchronized Span trace(Tracer with) {
        tracer = with;
        span = with.spanBuilder("switch " + strategy.wire())
                .setParent(Tracing.contextOf(traceparent, tracestate))
                .setAttribute("sage.switch.id", id)
                .setAttribute("sage.switch.strategy", strategy.wire())
                .startSpan();
        if (model != null) {
            span.setAttribute("sage.switch.model", model);
        }
        if (taskId != null) {
            span.setAttribute("sage.task.id", taskId);
        }
        return span;
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
        if (span != null && next != state) {
            endStepSpan();
            stepSpan = tracer.spanBuilder("switch." + next.wire())
                    .setParent(Context.root().with(span))
                    .startSpan();
        }
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
        endSpans(null);
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
        endSpans(reason);
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
                evaluationForced,
                traceId());
    }

    private void addStep(String message) {
        steps.add(new Step(Instant.now(), message));
        if (span != null) {
            (stepSpan != null ? stepSpan : span).addEvent(message);
        }
    }

    private void endStepSpan() {
        if (stepSpan != null) {
            stepSpan.end();
            stepSpan = null;
        }
    }

    /** Ends the step's and the switch's spans; {@code failure} (else {@code null}) marks both as errors. */
    private void endSpans(String failure) {
        if (span == null) {
            return;
        }
        if (failure != null) {
            if (stepSpan != null) {
                stepSpan.setStatus(StatusCode.ERROR, failure);
            }
            span.setStatus(StatusCode.ERROR, failure);
            span.setAttribute("sage.switch.rolled_back", rolledBack);
        }
        endStepSpan();
        span.end();
    }

    /** The switch's own trace once started, else the one it was created in; {@code null} untraced. */
    private String traceId() {
        if (span != null && span.getSpanContext().isValid()) {
            return span.getSpanContext().getTraceId();
        }
        return Tracing.traceIdOf(traceparent);
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
