package io.sage.studio.finetune.dataset;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

import io.sage.studio.common.error.StudioException;

/**
 * Holds out {@code validation_split} of a task's normalised dataset as its validation set: the training rows stay in
 * {@code dataset.jsonl}, the held-out rows go to {@code validation.jsonl}, so the trainer never trains on them.
 *
 * <p>Which rows: the {@code round(share × rows)} rows whose SHA-256 of (seed, row) is lowest. A row's fate depends on
 * its content and the seed only, not on its position, so splitting the same rows again in any order (a clone
 * re-splits its source's training and validation rows put back together) holds out exactly the same rows, and a
 * different seed holds out others. Equal rows are ordered by position. Streams the file twice and keeps one
 * {@code long} and one {@code int} per row in memory.
 *
 * <p>A task without a validation set still keeps {@link #HELD_OUT_SHARE} of its rows out of training
 * ({@code heldout.jsonl}, chosen the same way): an evaluation's default samples, which the model has never seen.
 */
public final class ValidationSplit {

    /** The held-out rows of a task, in its folder beside {@code dataset.jsonl}. */
    public static final String FILE = "validation.jsonl";

    /**
     * The rows a task without a validation set keeps out of training for its evaluations ({@link #holdOut}), in its
     * folder beside {@code dataset.jsonl}.
     */
    public static final String HELD_OUT_FILE = "heldout.jsonl";

    /** The share of a dataset {@link #holdOut} keeps out of training: 5 %, the evaluations' default set. */
    public static final double HELD_OUT_SHARE = 0.05;

    private ValidationSplit() {}

    /** How many rows each side got. */
    public record Counts(long training, long validation) {}

    /**
     * Splits the rows of {@code inputs} (read in order, never written) into {@code training} and {@code validation}
     * (created; {@code training} may be one of the inputs: it is replaced, not written through, so a hard link to a
     * stored dataset stays untouched). 400 {@code invalid_field} ({@code validation_split}) when either side would be
     * empty; nothing is written then.
     */
    public static Counts split(List<Path> inputs, Path training, Path validation, double share, int seed)
            throws IOException {
        long[] keys = keys(inputs, seed);
        int rows = keys.length;
        long held = Math.round(share * rows);
        if (held < 1 || held >= rows) {
            throw StudioException.invalidField(
                    "validation_split",
                    "validation_split " + share + " of " + rows + " row(s) leaves "
                            + (held < 1 ? "no row to validate on" : "no row to train on")
                            + "; use a larger dataset, a " + (held < 1 ? "larger" : "smaller")
                            + " validation_split or a validation_file");
        }
        partition(inputs, training, validation, keys, (int) held);
        return new Counts(rows - held, held);
    }

    /**
     * Holds {@link #HELD_OUT_SHARE} of the rows of {@code inputs} out of training into {@code heldOut}, for
     * evaluations of a task that has no validation set: rows the trainer never sees. A dataset too small to spare
     * one row ({@code round(share × rows) < 1}) keeps every row and gets no {@code heldOut} file; {@code training} is
     * then the rows of {@code inputs} put together (a clone's dataset and its source's held-out rows).
     */
    public static Counts holdOut(List<Path> inputs, Path training, Path heldOut, int seed) throws IOException {
        long[] keys = keys(inputs, seed);
        int rows = keys.length;
        long held = Math.round(HELD_OUT_SHARE * rows);
        if (held < 1 || held >= rows) {
            if (inputs.size() > 1 || !inputs.get(0).equals(training)) {
                partition(inputs, training, null, keys, 0);
            }
            return new Counts(rows, 0);
        }
        partition(inputs, training, heldOut, keys, (int) held);
        return new Counts(rows - held, held);
    }

    /** Puts the rows of {@code inputs} together into {@code training} (which may be the first of them). */
    public static void join(List<Path> inputs, Path training) throws IOException {
        partition(inputs, training, null, keys(inputs, 0), 0);
    }

    /**
     * Writes the {@code held} rows of lowest key to {@code validation} (not written when {@code held} is 0) and the
     * others to {@code training}, which replaces its old content at once.
     */
    private static void partition(List<Path> inputs, Path training, Path validation, long[] keys, int held)
            throws IOException {
        int rows = keys.length;
        Integer[] order = new Integer[rows];
        for (int i = 0; i < rows; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> keys[a] != keys[b] ? Long.compare(keys[a], keys[b]) : Integer.compare(a, b));
        BitSet out = new BitSet(rows);
        for (int i = 0; i < held; i++) {
            out.set(order[i]);
        }
        Path next = training.resolveSibling("." + training.getFileName() + ".split");
        Files.deleteIfExists(next);
        try (OutputStream train =
                        new BufferedOutputStream(Files.newOutputStream(next, StandardOpenOption.CREATE_NEW), 1 << 16);
                OutputStream val = validation == null
                        ? OutputStream.nullOutputStream()
                        : new BufferedOutputStream(
                                Files.newOutputStream(validation, StandardOpenOption.CREATE_NEW), 1 << 16)) {
            int row = 0;
            for (Path input : inputs) {
                try (InputStream in =
                        new BufferedInputStream(Files.newInputStream(input, LinkOption.NOFOLLOW_LINKS), 1 << 16)) {
                    byte[] line;
                    while ((line = readLine(in)) != null) {
                        if (blank(line)) {
                            continue;
                        }
                        OutputStream to = out.get(row++) ? val : train;
                        to.write(line);
                        to.write('\n');
                    }
                }
            }
        }
        force(next);
        if (validation != null) {
            force(validation);
        }
        Files.move(next, training, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The split key of each non-blank row, in the order of the files and their lines. */
    private static long[] keys(List<Path> inputs, int seed) throws IOException {
        MessageDigest sha = sha256();
        byte[] seedBytes = ByteBuffer.allocate(4).putInt(seed).array();
        long[] keys = new long[1024];
        int n = 0;
        for (Path input : inputs) {
            try (InputStream in =
                    new BufferedInputStream(Files.newInputStream(input, LinkOption.NOFOLLOW_LINKS), 1 << 16)) {
                byte[] line;
                while ((line = readLine(in)) != null) {
                    if (blank(line)) {
                        continue;
                    }
                    sha.update(seedBytes);
                    byte[] digest = sha.digest(line);
                    if (n == keys.length) {
                        keys = Arrays.copyOf(keys, n * 2);
                    }
                    keys[n++] = ByteBuffer.wrap(digest, 0, 8).getLong();
                }
            }
        }
        return Arrays.copyOf(keys, n);
    }

    private static void force(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private static boolean blank(byte[] line) {
        for (byte b : line) {
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    /**
     * The next line without its end, {@code null} at the end. The file is a normalised dataset, validated when it was
     * written (each record within {@code studio.finetune.dataset.max-record-bytes}), so a line is bounded.
     */
    private static byte[] readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        boolean any = false;
        while ((b = in.read()) != -1) {
            any = true;
            if (b == '\n') {
                return line.toByteArray();
            }
            line.write(b);
        }
        return any ? line.toByteArray() : null;
    }
}
