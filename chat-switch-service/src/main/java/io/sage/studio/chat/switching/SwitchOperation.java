package io.sage.studio.chat.switching;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * A switch as the API shows it ({@code GET /api/chat/switch/{id}}).
 *
 * @param id                  operation id
 * @param model               the model asked for (id or path), or {@code null} when a task was named
 * @param taskId              the task asked for, or {@code null}
 * @param strategy            the strategy chosen ({@code auto} until planned)
 * @param state               where it is
 * @param error               why it failed, or {@code null}
 * @param rolledBack          whether a failure was rolled back (the previous model serves again)
 * @param timings             when each milestone was reached
 * @param steps               what happened, in order
 * @param requestedBy         who asked ({@code api}, {@code startup}, {@code monitor}, or a command's {@code requested_by})
 * @param servedModelName     the model name that serves after the switch
 * @param currentModel        the model users see after the switch
 * @param modelPath           the path (or id) of that model, which {@code model_path} and {@code model} take back
 * @param llmServiceRestarted the seed's flag: the switch completed and a local LLM engine (process or Deployment)
 *                            serves the model now — started for it, hot-loaded into it or already serving; {@code
 *                            false} while running, on failure and for the cloud API (the seed's "switched, needs
 *                            restart")
 * @param engineStarted       whether a new engine was started for it
 * @param evaluationForced    {@code force} let it past the evaluation gate, which would have refused it (a step says why)
 * @param traceId             the OpenTelemetry trace of the switch (the request's, or its own for one the service
 *                            started itself); {@code null} when tracing is off
 */
public record SwitchOperation(
        @Schema(required = true) String id,
        String model,
        String taskId,
        SwitchStrategy strategy,
        @Schema(required = true) State state,
        String error,
        @Schema(required = true) boolean rolledBack,
        Timings timings,
        @Schema(required = true) List<Step> steps,
        String requestedBy,
        String servedModelName,
        String currentModel,
        String modelPath,
        @Schema(required = true) boolean llmServiceRestarted,
        @Schema(required = true) boolean engineStarted,
        @Schema(required = true) boolean evaluationForced,
        String traceId) {

    /** An operation without a trace (stored before the field existed, or rebuilt without one). */
    public SwitchOperation(
            String id,
            String model,
            String taskId,
            SwitchStrategy strategy,
            State state,
            String error,
            boolean rolledBack,
            Timings timings,
            List<Step> steps,
            String requestedBy,
            String servedModelName,
            String currentModel,
            String modelPath,
            boolean llmServiceRestarted,
            boolean engineStarted,
            boolean evaluationForced) {
        this(
                id,
                model,
                taskId,
                strategy,
                state,
                error,
                rolledBack,
                timings,
                steps,
                requestedBy,
                servedModelName,
                currentModel,
                modelPath,
                llmServiceRestarted,
                engineStarted,
                evaluationForced,
                null);
    }

    @Schema(name = "SwitchState")
    public enum State {
        PENDING,
        STARTING,
        WAITING_READY,
        SMOKE_TEST,
        ROUTING,
        DRAINING,
        COMPLETED,
        FAILED;

        @JsonValue
        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        public boolean terminal() {
            return this == COMPLETED || this == FAILED;
        }
    }

    /** Milestones; {@code downtimeMs} is the time no backend served (recreate), 0 otherwise. */
    @Schema(name = "SwitchTimings")
    public record Timings(
            Instant requestedAt, Instant readyAt, Instant routedAt, Instant finishedAt, Long downtimeMs) {}

    @Schema(name = "SwitchStep")
    public record Step(
            @Schema(required = true) Instant at,
            @Schema(required = true) String message) {}
}
