package io.sage.studio.cli.api;

import java.util.List;

/** The answer of {@code POST /api/finetune/upload-dataset}: the stored dataset and the records it rejected. */
public record DatasetUpload(
        String datasetId,
        String path,
        String format,
        long validRecords,
        long invalidRecords,
        List<RecordError> errors) {

    public DatasetUpload {
        errors = errors == null ? List.of() : errors;
    }

    /** A rejected record: 1-based line, code, what is wrong. */
    public record RecordError(Long line, String code, String message) {}
}
