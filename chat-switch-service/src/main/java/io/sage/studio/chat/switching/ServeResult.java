package io.sage.studio.chat.switching;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * {@code POST /api/chat/serving}: the model made addressable by name ({@code ready}, 200) or being loaded
 * ({@code loading}, 202, with the operation that loads it: {@code GET /api/chat/switch/{operation_id}}).
 *
 * @param model       the served name clients send
 * @param displayName the task id or model id
 * @param engine      the backend id that serves (or will serve) it
 * @param state       {@code loading|ready}
 * @param operationId the serving operation, or {@code null} when nothing had to be done
 */
public record ServeResult(
        @Schema(required = true) String model,
        String displayName,
        String engine,

        @Schema(
                required = true,
                enumeration = {"loading", "ready"})
        String state,

        String operationId) {}
