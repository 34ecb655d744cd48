package io.sage.studio.finetune.domain;

import java.time.Instant;
import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * A validated, normalised dataset ({@code studio/datasets/<dataset_id>/dataset_meta.json}), also the answer of an
 * upload. {@code path} is the normalised chat JSONL; pass it (or the id) as {@code dataset_file}. {@code owner} is
 * the caller who stored it ({@code null} for datasets stored before owners were recorded: only an admin may delete
 * those, and they count against no one's quota); {@code storedBytes} is the size of the normalised file.
 */
@RegisterForReflection
public record Dataset(
        @Schema(required = true) String datasetId,
        @Schema(required = true) String path,
        @Schema(required = true) String filename,
        @Schema(required = true) String format,
        @Schema(required = true) long validRecords,
        @Schema(required = true) long invalidRecords,
        @Schema(required = true) long sizeBytes,
        Stats stats,
        List<RecordError> errors,
        Instant createdAt,
        String owner,
        @Schema(required = true) long storedBytes) {

    /** Size of the samples in characters of message content, and an estimate of their tokens. */
    public record Stats(
            @Schema(required = true) double avgChars,
            @Schema(required = true) long maxChars,
            @Schema(required = true) long totalChars,
            @Schema(required = true) long estimatedTokens) {}

    /** A rejected record: 1-based line of the file, an OpenAI-style code and what is wrong. */
    public record RecordError(
            @Schema(required = true) long line,
            @Schema(required = true) String code,
            @Schema(required = true) String message) {}
}
