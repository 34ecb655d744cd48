package io.sage.studio.finetune.domain;

import java.time.Instant;
import java.util.List;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * A validated, normalised dataset ({@code studio/datasets/<dataset_id>/dataset_meta.json}), also the answer of an
 * upload. {@code path} is the normalised chat JSONL; pass it (or the id) as {@code dataset_file}. {@code owner} is
 * the caller who stored it ({@code null} for datasets stored before owners were recorded: only an admin may delete
 * those, and they count against no one's quota); {@code storedBytes} is the size of the normalised file.
 */
@RegisterForReflection
public record Dataset(
        String datasetId,
        String path,
        String filename,
        String format,
        long validRecords,
        long invalidRecords,
        long sizeBytes,
        Stats stats,
        List<RecordError> errors,
        Instant createdAt,
        String owner,
        long storedBytes) {

    /** Size of the samples in characters of message content, and an estimate of their tokens. */
    public record Stats(double avgChars, long maxChars, long totalChars, long estimatedTokens) {
    }

    /** A rejected record: 1-based line of the file, an OpenAI-style code and what is wrong. */
    public record RecordError(long line, String code, String message) {
    }
}
