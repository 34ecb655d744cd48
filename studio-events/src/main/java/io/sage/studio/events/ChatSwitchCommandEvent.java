package io.sage.studio.events;

import java.time.Instant;

/**
 * A request to switch the chat backend to another model. Key: the switch operation id.
 *
 * @param model    a base model id, a registered artifact path, or {@code null} when {@code taskId} is set
 * @param taskId   a completed fine-tuning task whose artifact should serve, or {@code null}
 * @param strategy {@code auto}, {@code lora-hot-load}, {@code blue-green}, {@code recreate}, or {@code null} for the default
 */
public record ChatSwitchCommandEvent(
        int schemaVersion,
        String operationId,
        String model,
        String taskId,
        String strategy,
        String requestedBy,
        Instant requestedAt)
        implements StudioEvent {

    public static final int SCHEMA_VERSION = 1;
    public static final String TYPE = "io.sage.studio.chat.switch-requested.v1";

    @Override
    public String key() {
        return operationId;
    }

    @Override
    public String cloudEventType() {
        return TYPE;
    }

    @Override
    public String topic() {
        return Topics.CHAT_COMMANDS;
    }
}
