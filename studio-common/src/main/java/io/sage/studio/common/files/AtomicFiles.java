package io.sage.studio.common.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

import io.sage.studio.events.StudioJson;

/**
 * Writes that never leave a half-written file: write a temp file beside the target, fsync it, rename it
 * over the target, fsync the directory. If anything fails (disk full), the old file stays intact.
 */
public final class AtomicFiles {

    private AtomicFiles() {}

    public static void write(Path target, byte[] content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        write(target, content, Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp"));
    }

    /** Like {@link #write(Path, byte[])}, readable and writable by the owner only (mode 0600) from the first byte. */
    public static void writePrivate(Path target, byte[] content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        write(
                target,
                content,
                Files.createTempFile(
                        dir,
                        "." + target.getFileName() + ".",
                        ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))));
    }

    private static void write(Path target, byte[] content, Path tmp) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        try {
            try (FileChannel channel =
                    FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            replace(tmp, target);
            fsyncDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes {@code value} as pretty JSON in the studio dialect, atomically. */
    public static void writeJson(Path target, Object value) throws IOException {
        write(target, StudioJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(value));
    }

    /**
     * Moves a finished file into place atomically (same file system) and makes both the file and the directory
     * entry durable: the file's data is forced before the rename, the directory after it. For streamed files
     * (uploads) whose temp file was written by the caller.
     */
    public static void moveDurably(Path source, Path target) throws IOException {
        try (FileChannel channel = FileChannel.open(source, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        replace(source, target);
        fsyncDirectory(dir);
        Path sourceDir = source.toAbsolutePath().getParent();
        if (!sourceDir.equals(dir)) {
            fsyncDirectory(sourceDir);
        }
    }

    /** Renames {@code source} over {@code target}, atomically where the file system can. */
    private static void replace(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(source, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Forces a directory's entries (a rename or a new file in it) to disk, where the file system allows it. */
    public static void fsyncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException ignored) {
            // Not every file system lets a directory be opened for sync; the rename is still atomic.
        }
    }
}
