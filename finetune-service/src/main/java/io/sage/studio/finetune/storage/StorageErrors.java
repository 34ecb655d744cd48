package io.sage.studio.finetune.storage;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.util.List;
import java.util.Locale;

import io.sage.studio.common.error.StudioException;
import io.sage.studio.finetune.FinetuneError;

/**
 * A failed write turned into the error the caller sees: {@code insufficient_storage} when the file system is full (or
 * the quota of its user is), otherwise {@code storage_error}. The message names what could not be
 * written and why, never what was being written.
 */
public final class StorageErrors {

    private StorageErrors() {}

    /** Whether {@code e} says the disk (or the user's disk quota) is full. */
    public static boolean isFull(IOException e) {
        String reason = e instanceof FileSystemException fs && fs.getReason() != null ? fs.getReason() : e.getMessage();
        String text = String.valueOf(reason).toLowerCase(Locale.ROOT);
        return text.contains("no space left") || text.contains("disk quota exceeded");
    }

    /**
     * @param what what could not be stored, e.g. "the dataset"
     * @param outcome what the caller can count on, e.g. "nothing was stored"
     */
    public static StudioException of(IOException e, String what, String outcome) {
        if (isFull(e)) {
            return new StudioException(
                    FinetuneError.INSUFFICIENT_STORAGE,
                    null,
                    "the studio home's file system is full: " + "cannot store " + what + "; " + outcome
                            + ". Free some space and try again",
                    List.of(),
                    e);
        }
        String reason = e instanceof FileSystemException fs && fs.getReason() != null
                ? fs.getReason()
                : e.getClass().getSimpleName();
        return new StudioException(
                FinetuneError.STORAGE_ERROR,
                null,
                "cannot store " + what + " (" + reason + "); " + outcome,
                List.of(),
                e);
    }
}
