package io.sage.studio.finetune.service;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Locale;
import java.util.Set;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * Streams a model folder as {@code .tar.gz} straight to the response (nothing is built on disk). Training
 * state never leaves: checkpoint folders, optimizer and scheduler state, RNG state and trainer bookkeeping are
 * skipped, and so are symbolic links.
 */
public final class ArtifactArchive {

    private static final Set<String> TRAINING_STATE = Set.of("optimizer.pt", "optimizer.bin", "scheduler.pt",
            "trainer_state.json", "training_args.bin", "scaler.pt");

    private ArtifactArchive() {
    }

    /** Whether a file or folder name is training state rather than part of the model. */
    static boolean isTrainingState(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return TRAINING_STATE.contains(lower) || lower.startsWith("checkpoint-") || lower.equals("checkpoints")
                || (lower.startsWith("rng_state") && lower.endsWith(".pth")) || lower.startsWith("global_step");
    }

    /** Writes {@code folder} under the archive root {@code rootName}/ to {@code out}. */
    public static void write(Path folder, String rootName, OutputStream out) throws IOException {
        GzipCompressorOutputStream gzip = new GzipCompressorOutputStream(out);
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(gzip)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            Files.walkFileTree(folder, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    if (!dir.equals(folder) && isTrainingState(dir.getFileName().toString())) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    TarArchiveEntry entry = new TarArchiveEntry(dir.toFile(), entryName(dir) + "/");
                    tar.putArchiveEntry(entry);
                    tar.closeArchiveEntry();
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    if (!attrs.isRegularFile() || isTrainingState(file.getFileName().toString())) {
                        return FileVisitResult.CONTINUE;
                    }
                    TarArchiveEntry entry = new TarArchiveEntry(file.toFile(), entryName(file));
                    entry.setSize(attrs.size());
                    tar.putArchiveEntry(entry);
                    Files.copy(file, tar);
                    tar.closeArchiveEntry();
                    return FileVisitResult.CONTINUE;
                }

                private String entryName(Path path) {
                    String relative = folder.relativize(path).toString();
                    return relative.isEmpty() ? rootName : rootName + "/" + relative;
                }
            });
            tar.finish();
        }
    }
}
