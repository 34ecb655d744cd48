package io.sage.studio.events;

import java.time.Instant;
import java.util.Map;

/**
 * The public view of a fine-tuning task, as the API, the SSE stream and Kafka show it.
 * Field names follow the original studio (snake_case on the wire).
 */
public record TaskSnapshot(
        String taskId,
        String modelName,
        String status,
        String phase,
        double progress,
        double currentEpoch,
        int totalEpochs,
        long step,
        long totalSteps,
        Double loss,
        Double learningRate,
        Long etaSeconds,
        Integer queuePosition,
        String errorMessage,
        Map<String, String> artifacts,
        Instant createdAt,
        Instant startedAt,
        Instant completedAt) {}
