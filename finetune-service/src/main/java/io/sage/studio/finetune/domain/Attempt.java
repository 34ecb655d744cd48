package io.sage.studio.finetune.domain;

import java.time.Instant;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * One run of a task: the first, and one more for each {@code POST …/retry}, {@code POST …/resume} and automatic
 * resume after a trainer died. The record stores the attempts that have
 * ended before the current one; the {@link Task} view lists them all, the current one last.
 *
 * @param attempt   1-based
 * @param startedAt when its trainer was launched ({@code null} when it never was, e.g. cancelled while queued)
 * @param endedAt   when it ended; {@code null} while it runs
 * @param outcome   {@code completed}, {@code failed}, {@code cancelled} or {@code paused}; {@code null} while it waits or
 *                  runs
 */
@RegisterForReflection
@Schema(name = "TaskAttempt")
public record Attempt(
        @Schema(required = true) int attempt,
        Instant startedAt,
        Instant endedAt,
        TaskStatus outcome,
        String errorCode,
        String errorMessage) {

    /** The attempt {@code record} is on now (or ended with), as far as the record shows it. */
    static Attempt current(TaskRecord record) {
        boolean ended = record.status().idle();
        return new Attempt(
                record.attempt(),
                record.startedAt(),
                ended ? record.completedAt() : null,
                ended ? record.status() : null,
                ended ? record.errorCode() : null,
                ended ? record.errorMessage() : null);
    }
}
