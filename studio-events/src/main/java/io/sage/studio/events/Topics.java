package io.sage.studio.events;

import java.util.List;
import java.util.Map;

/**
 * The studio's Kafka topics. Code and tests use these constants; nothing spells a topic name twice.
 */
public final class Topics {

    /** Task lifecycle and progress. Key: task id. Retained for a week (the task files are the truth). */
    public static final String FINETUNE_TASKS = "studio.finetune.tasks";
    /** One snapshot per GPU. Key: {@code node/uuid}. Compacted: the latest reading of every GPU. */
    public static final String GPU_TELEMETRY = "studio.gpu.telemetry";
    /** Switch requests for the chat backend. Key: switch operation id. */
    public static final String CHAT_COMMANDS = "studio.chat.commands";
    /** The active chat backend. Key: {@link ChatBackendEvent#KEY}. Compacted: the latest route wins. */
    public static final String CHAT_BACKEND = "studio.chat.backend";
    /**
     * Every gateway replica's running totals per served model ({@link ChatTrafficEvent}). Key: gateway instance id.
     * Compacted: the latest totals of every replica; read by the chat-switch rollouts and the serving set.
     */
    public static final String CHAT_TRAFFIC = "studio.chat.traffic";

    /**
     * State changes of switch operations and rollouts ({@link ChatOperationEvent}). Key: operation or rollout id.
     * Retained for a week; read by the webhook deliveries.
     */
    public static final String CHAT_OPERATIONS = "studio.chat.operations";
    /** The audit trail ({@link AuditEvent}): every state-changing call. Key: entry id. Retained for 30 days. */
    public static final String AUDIT = "studio.audit";

    private static final String WEEK_MS = Long.toString(7L * 24 * 3600 * 1000);
    private static final String MONTH_MS = Long.toString(30L * 24 * 3600 * 1000);

    /** Every topic with the partitions and configs it is created with when missing. */
    public static final List<TopicSpec> ALL = List.of(
            new TopicSpec(FINETUNE_TASKS, 3, Map.of("cleanup.policy", "delete", "retention.ms", WEEK_MS)),
            new TopicSpec(
                    GPU_TELEMETRY,
                    1,
                    Map.of(
                            "cleanup.policy", "compact",
                            "min.cleanable.dirty.ratio", "0.1",
                            "segment.ms", "3600000",
                            "delete.retention.ms", "86400000")),
            new TopicSpec(CHAT_COMMANDS, 1, Map.of("cleanup.policy", "delete", "retention.ms", WEEK_MS)),
            new TopicSpec(
                    CHAT_BACKEND,
                    1,
                    Map.of(
                            "cleanup.policy", "compact",
                            "min.cleanable.dirty.ratio", "0.1",
                            "segment.ms", "3600000")),
            new TopicSpec(
                    CHAT_TRAFFIC,
                    1,
                    Map.of(
                            "cleanup.policy", "compact",
                            "min.cleanable.dirty.ratio", "0.1",
                            "segment.ms", "3600000",
                            "delete.retention.ms", "86400000")),
            new TopicSpec(CHAT_OPERATIONS, 1, Map.of("cleanup.policy", "delete", "retention.ms", WEEK_MS)),
            new TopicSpec(AUDIT, 1, Map.of("cleanup.policy", "delete", "retention.ms", MONTH_MS)));

    private Topics() {}

    /** A topic and the settings it is created with. */
    public record TopicSpec(String name, int partitions, Map<String, String> configs) {}
}
