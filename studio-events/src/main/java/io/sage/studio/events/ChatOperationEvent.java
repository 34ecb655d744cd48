package io.sage.studio.events;

import java.time.Instant;

/**
 * A switch operation or a rollout changed state. Key: the operation or rollout id. Published by the chat-switch
 * service at each state change, so outside systems (webhooks, dashboards) learn of switches and rollouts without
 * polling; the service's own state files stay the truth.
 *
 * @param kind          {@link #KIND_SWITCH} or {@link #KIND_ROLLOUT}
 * @param id            the switch operation id or rollout id (the record key)
 * @param state         the state the operation entered, in the REST view's words (e.g. {@code running},
 *                      {@code succeeded}, {@code failed}, {@code rolled_back}, {@code promoted})
 * @param event         the outside name of the change, {@code switch.<…>} or {@code rollout.<…>} (e.g.
 *                      {@code switch.started}, {@code switch.succeeded}, {@code rollout.step}, {@code rollout.promoted})
 * @param model         the model being switched to or rolled out, as the operation names it
 * @param previousModel the model serving before, or {@code null}
 * @param taskId        the fine-tuning task behind {@code model}, or {@code null}
 * @param message       a short human-readable reason or step description, or {@code null}
 * @param actor         who asked for it ({@code requested_by}), or {@code null}
 * @param traceId       the W3C trace id of the request that started it, or {@code null}
 * @param at            when the state changed
 */
public record ChatOperationEvent(
        int schemaVersion,
        String kind,
        String id,
        String state,
        String event,
        String model,
        String previousModel,
        String taskId,
        String message,
        String actor,
        String traceId,
        Instant at)
        implements StudioEvent {

    public static final int SCHEMA_VERSION = 1;
    public static final String TYPE = "io.sage.studio.chat.operation.v1";
    public static final String KIND_SWITCH = "switch";
    public static final String KIND_ROLLOUT = "rollout";

    @Override
    public String key() {
        return id;
    }

    @Override
    public String cloudEventType() {
        return TYPE;
    }

    @Override
    public String topic() {
        return Topics.CHAT_OPERATIONS;
    }
}
