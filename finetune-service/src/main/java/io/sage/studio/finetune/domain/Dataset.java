package io.sage.studio.finetune.domain;

import java.time.Instant;
import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonProperty;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * A validated, normalised dataset ({@code studio/datasets/<dataset_id>/dataset_meta.json}), also the answer of an
 * upload. {@code path} is the normalised chat JSONL; pass it (or the id) as {@code dataset_file}.
 * {@code file_path} repeats {@code path} for the original SAGE Studio's client, which sends it back as
 * {@code dataset_file}; {@code stats.total_samples} repeats {@code valid_records} for it too. {@code owner} is
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

    /** The seed's name of {@link #path()}: what its client sends back as {@code dataset_file}. */
    @JsonProperty(value = "file_path", access = JsonProperty.Access.READ_ONLY)
    @Schema(required = true, readOnly = true)
    public String filePath() {
        return path;
    }

    /**
     * Size of the samples in characters of message content, and an estimate of their tokens; {@code totalSamples} is
     * the number of valid samples (the seed's name).
     */
    public record Stats(
            @Schema(required = true) long totalSamples,
            @Schema(required = true) double avgChars,
            @Schema(required = true) long maxChars,
            @Schema(required = true) long totalChars,
            @Schema(required = true) long estimatedTokens) {

        /** These statistics counting {@code samples} valid samples (metadata written before the count was kept). */
        public Stats withSamples(long samples) {
            return new Stats(samples, avgChars, maxChars, totalChars, estimatedTokens);
        }
    }

    /** A rejected record: 1-based line of the file, an OpenAI-style code and what is wrong. */
    public record RecordError(
            @Schema(required = true) long line,
            @Schema(required = true) String code,
            @Schema(required = true) String message) {}
}
