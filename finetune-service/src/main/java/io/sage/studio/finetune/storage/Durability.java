package io.sage.studio.finetune.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import io.sage.studio.common.files.AtomicFiles;

/**
 * Makes written data survive a power cut: a file's content before it is renamed into place, a directory's
 * entries after a rename into (or out of) it. {@link #REAL} forces them to disk; tests record the calls.
 */
public interface Durability {

    /** Forces the content of a file that was written (and closed) to disk. */
    void file(Path file) throws IOException;

    /** Forces a directory's entries to disk, where the file system allows it. */
    void directory(Path dir);

    /** {@code fsync} of the file, {@link AtomicFiles#fsyncDirectory} of the directory. */
    Durability REAL = new Durability() {
        @Override
        public void file(Path file) throws IOException {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
        }

        @Override
        public void directory(Path dir) {
            AtomicFiles.fsyncDirectory(dir);
        }
    };
}
