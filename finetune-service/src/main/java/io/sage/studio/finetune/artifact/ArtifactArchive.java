package io.sage.studio.finetune.artifact;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Locale;
import java.util.Set;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.jboss.logging.Logger;

/**
 * Streams a model folder as {@code .tar.gz} straight to the response (nothing is built on disk). Training
 * state never leaves: checkpoint folders, optimizer and scheduler state, RNG state and trainer bookkeeping are
 * skipped, and so are symbolic links and anything whose real path is not inside the folder.
 */
public final class ArtifactArchive {

    private static final Logger LOG = Logger.getLogger(ArtifactArchive.class);
    private static final Set<String> TRAINING_STATE = Set.of(
            "optimizer.pt", "optimizer.bin", "scheduler.pt", "trainer_state.json", "training_args.bin", "scaler.pt");

    private ArtifactArchive() {}

    /** Whether a file or folder name is training state rather than part of the model. */
    static boolean isTrainingState(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return TRAINING_STATE.contains(lower)
                || lower.startsWith("checkpoint-")
                || lower.equals("checkpoints")
                || (lower.startsWith("rng_state") && lower.endsWith(".pth"))
                || lower.startsWith("global_step");
    }

    /**
     * Writes {@code folder} (a real path: no link in it) under the archive root {@code rootName}/ to {@code out}.
     * Every entry must resolve inside {@code folder}: links are never followed (a link, to a file or a folder,
     * inside or outside, is skipped and logged by name), and a file is opened without following a link, so
     * nothing from outside the folder can end up in the archive even if the tree changes while it is written.
     */
    public static void write(Path folder, String rootName, OutputStream out) throws IOException {
        Path root = folder.toRealPath();
        GzipCompressorOutputStream gzip = new GzipCompressorOutputStream(out);
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(gzip)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    if (!dir.equals(root) && isTrainingState(dir.getFileName().toString())) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    if (!inside(dir)) {
                        skipped(dir);
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    TarArchiveEntry entry = new TarArchiveEntry(entryName(dir) + "/");
                    entry.setModTime(attrs.lastModifiedTime().toMillis());
                    tar.putArchiveEntry(entry);
                    tar.closeArchiveEntry();
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    if (attrs.isSymbolicLink()) {
                        skipped(file);
                        return FileVisitResult.CONTINUE;
                    }
                    if (!attrs.isRegularFile()
                            || isTrainingState(file.getFileName().toString())) {
                        return FileVisitResult.CONTINUE;
                    }
                    if (!inside(file)) {
                        skipped(file);
                        return FileVisitResult.CONTINUE;
                    }
                    SeekableByteChannel opened;
                    try {
                        opened = Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
                    } catch (IOException e) {
                        skipped(file);
                        return FileVisitResult.CONTINUE;
                    }
                    try (SeekableByteChannel channel = opened) {
                        long size = channel.size();
                        TarArchiveEntry entry = new TarArchiveEntry(entryName(file));
                        entry.setSize(size);
                        entry.setModTime(attrs.lastModifiedTime().toMillis());
                        tar.putArchiveEntry(entry);
                        copy(channel, size, tar);
                        tar.closeArchiveEntry();
                    }
                    return FileVisitResult.CONTINUE;
                }

                private boolean inside(Path path) {
                    try {
                        return path.toRealPath().startsWith(root);
                    } catch (IOException e) {
                        return false;
                    }
                }

                private void skipped(Path path) {
                    LOG.warnf(
                            "archive %s: skipped %s, a link or an entry that leads outside the artifact folder",
                            rootName, entryName(path));
                }

                private String entryName(Path path) {
                    String relative = root.relativize(path).toString();
                    return relative.isEmpty() ? rootName : rootName + "/" + relative;
                }
            });
            tar.finish();
        }
    }

    /** Copies exactly {@code size} bytes (the size written in the entry header), padding if the file shrank. */
    private static void copy(SeekableByteChannel channel, long size, OutputStream out) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
        long left = size;
        while (left > 0) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), left));
            int n = channel.read(buffer);
            if (n < 0) {
                out.write(new byte[(int) Math.min(left, 1 << 16)]);
                left -= Math.min(left, 1 << 16);
                continue;
            }
            out.write(buffer.array(), 0, n);
            left -= n;
        }
    }
}
