package io.sage.studio.finetune.dataset;

import java.io.CharConversionException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.function.LongUnaryOperator;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.finetune.FinetuneError;
import io.sage.studio.finetune.domain.Dataset.RecordError;

/**
 * Validates a JSONL file or a JSON array of records <em>while streaming it</em> and writes the valid records as
 * normalised chat JSONL ({@code {"messages": [...]}} per line). Only one record is in memory at a time.
 *
 * <p>UTF-8 with or without a byte-order mark. JSONL: a bad line is reported and skipped, the rest is kept.
 * A JSON array that is not well-formed cannot be resynchronised, so its first syntax error is fatal.
 * More than {@code maxBytes} in total ends the read with a 413.
 *
 * <p>A JSONL line that is a canonical chat record takes {@link CanonicalChatLine}'s token-by-token path (no tree, no
 * databind); any other line the tree path below, which alone words the errors. One validator runs one validation at a
 * time.
 *
 * <p>With an {@link Executor}, JSONL lines are checked on its threads: once the first valid record has fixed the
 * dataset's format, the reading thread cuts the stream into batches of whole lines and the workers check them while it
 * reads on; the results are merged in file order, so the output, the counts and the first {@code maxErrors} errors are
 * exactly those of a check on one thread. At most {@link #IN_FLIGHT} batches per validation wait or run, which bounds
 * the memory one upload holds. A JSON array is always read on the calling thread (its elements cannot be found
 * without parsing it).
 */
public final class DatasetValidator {

    private static final int BUFFER = 1 << 16;
    /** Bytes of lines per batch handed to a worker. */
    static final int BATCH_BYTES = 1 << 19;
    /** Batches of one validation waiting or being checked at once. */
    static final int IN_FLIGHT = 4;

    /**
     * Every code a rejected record (or file) can carry, as documented in the module README. Each error also names
     * its 1-based line and says what is wrong without quoting the record.
     */
    public static final Set<String> ERROR_CODES = Set.of(
            "empty_file",
            "invalid_encoding",
            "invalid_json",
            "record_too_large",
            "not_an_object",
            "unrecognized_format",
            "format_mismatch",
            "missing_messages",
            "invalid_message",
            "unrecognized_role",
            "missing_content",
            "missing_instruction",
            "missing_prompt",
            "missing_assistant_message",
            "invalid_field_type",
            "invalid_history");

    private final long maxBytes;
    private final int maxRecordBytes;
    private final int maxErrors;
    private final ObjectMapper mapper;
    private final ObjectReader lineReader;
    private final ObjectWriter sampleWriter;
    /** Where batches of lines are checked; {@code null}: on the reading thread. */
    private final Executor workers;

    private final int batchBytes;

    /** A validator that checks every record on the calling thread. */
    public DatasetValidator(long maxBytes, int maxRecordBytes, int maxErrors) {
        this(maxBytes, maxRecordBytes, maxErrors, null, BATCH_BYTES);
    }

    /**
     * A validator that checks JSONL lines on {@code workers} while the calling thread reads on.
     *
     * @param workers an executor whose queue is bounded (a full one should run the batch on the caller)
     */
    public DatasetValidator(long maxBytes, int maxRecordBytes, int maxErrors, Executor workers) {
        this(maxBytes, maxRecordBytes, maxErrors, workers, BATCH_BYTES);
    }

    DatasetValidator(long maxBytes, int maxRecordBytes, int maxErrors, Executor workers, int batchBytes) {
        this.maxBytes = maxBytes;
        this.maxRecordBytes = maxRecordBytes;
        this.maxErrors = maxErrors;
        this.mapper = new ObjectMapper();
        this.mapper
                .getFactory()
                .setStreamReadConstraints(StreamReadConstraints.builder()
                        .maxStringLength(maxRecordBytes)
                        .maxNestingDepth(64)
                        .build());
        this.lineReader = mapper.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        this.sampleWriter = mapper.writerFor(Sample.class);
        this.workers = workers;
        this.batchBytes = batchBytes;
    }

    /** The normalised line written per valid record. */
    @RegisterForReflection
    record Sample(List<ChatMessage> messages) {}

    /** What a validation found. {@code fatal} means the file as a whole is unusable. */
    public record Report(
            DatasetFormat format,
            long valid,
            long invalid,
            long bytes,
            long totalChars,
            long maxChars,
            long estimatedTokens,
            List<RecordError> errors,
            boolean fatal) {

        public double avgChars() {
            return valid == 0 ? 0 : Math.round(totalChars * 10.0 / valid) / 10.0;
        }

        public boolean usable() {
            return !fatal && valid > 0;
        }
    }

    /**
     * Reads {@code input} to its end (or to the size limit) and writes the normalised valid records to {@code out}.
     *
     * @throws StudioException {@code dataset_too_large} once more than the limit has been read
     */
    public Report validate(InputStream input, OutputStream out) throws IOException {
        Run run = new Run(out);
        Limited limited = new Limited(input, maxBytes);
        PushbackInputStream in = new PushbackInputStream(limited, 1);
        long leadingLines = skipBomAndWhitespace(in);
        int first = leadingLines < 0 ? -1 : in.read();
        if (leadingLines < 0) {
            run.fatal(1, "invalid_encoding", "the file starts with bytes that are not UTF-8 text");
        } else if (first == -1) {
            run.fatal(1, "empty_file", "the file contains no records");
        } else {
            in.unread(first);
            if (first == '[') {
                limited.countLines = true;
                readArray(in, leadingLines, run, limited);
            } else {
                readLines(in, leadingLines, run);
            }
        }
        return run.report(limited.count);
    }

    /**
     * Drops a UTF-8 BOM and leading whitespace; returns how many line breaks were skipped, or -1 when the file
     * starts like a BOM but is not one (not UTF-8).
     */
    private static long skipBomAndWhitespace(PushbackInputStream in) throws IOException {
        long lines = 0;
        int b = in.read();
        if (b == 0xEF) {
            int b2 = in.read();
            int b3 = in.read();
            if (b2 != 0xBB || b3 != 0xBF) {
                return -1;
            }
            b = in.read();
        }
        while (b == ' ' || b == '\t' || b == '\r' || b == '\n') {
            if (b == '\n') {
                lines++;
            }
            b = in.read();
        }
        if (b != -1) {
            in.unread(b);
        }
        return lines;
    }

    /**
     * Splits the stream at line breaks. A line that lies whole in the 64 KiB read buffer is handed on where it lies;
     * only a line that spans two reads is copied together first (and never more than the record limit of it).
     */
    private void readLines(InputStream in, long lineOffset, Run run) throws IOException {
        byte[] buffer = new byte[BUFFER];
        byte[] line = new byte[8192];
        int length = 0;
        boolean oversize = false;
        long lineNo = lineOffset + 1;
        int n;
        try (Lines lines = new Lines(run)) {
            // Full buffers: a request body arrives in pieces of a few KiB, and a line cut by a short read is copied.
            while ((n = in.readNBytes(buffer, 0, BUFFER)) > 0) {
                int start = 0;
                for (int i = 0; i < n; i++) {
                    if (buffer[i] != '\n') {
                        continue;
                    }
                    int chunk = i - start;
                    if (length == 0 && !oversize) {
                        lines.line(
                                buffer, start, chunk <= maxRecordBytes ? i : start, chunk > maxRecordBytes, lineNo++);
                        start = i + 1;
                        continue;
                    }
                    if (!oversize && length + chunk <= maxRecordBytes) {
                        line = ensure(line, length + chunk);
                        System.arraycopy(buffer, start, line, length, chunk);
                        length += chunk;
                    } else {
                        oversize = true;
                    }
                    lines.line(line, 0, length, oversize, lineNo++);
                    length = 0;
                    oversize = false;
                    start = i + 1;
                }
                int chunk = n - start;
                if (!oversize && length + chunk <= maxRecordBytes) {
                    line = ensure(line, length + chunk);
                    System.arraycopy(buffer, start, line, length, chunk);
                    length += chunk;
                } else {
                    oversize = true;
                }
            }
            if (length > 0 || oversize) {
                lines.line(line, 0, length, oversize, lineNo);
            }
            lines.finish();
        }
    }

    /**
     * Where {@link #readLines} hands each line: checked at once on the reading thread until the dataset's format is
     * known (the first valid record fixes it, and every later record is checked against it), then, with workers,
     * copied into batches that they check, merged back in file order. The {@link #IN_FLIGHT} + 1 batches of one
     * validation, with their output buffers, are reused: an upload allocates no new buffer per batch, which kept the
     * heap (and the service's memory) from growing with the bytes read.
     */
    private final class Lines implements AutoCloseable {
        private final Run run;
        private final ArrayDeque<FutureTask<Batch>> pending = new ArrayDeque<>();
        private final ArrayDeque<Batch> free = new ArrayDeque<>();
        private Batch batch;

        Lines(Run run) {
            this.run = run;
        }

        void line(byte[] bytes, int from, int to, boolean oversize, long lineNo) throws IOException {
            if (workers == null || run.format == null) {
                processLine(bytes, from, to, oversize, lineNo, run);
                return;
            }
            if (batch == null) {
                batch = free.isEmpty() ? new Batch() : free.removeFirst();
                batch.start(lineNo, run.format);
            }
            batch.add(bytes, from, to, oversize);
            if (batch.size >= batchBytes) {
                submit();
            }
        }

        /** Hands the current batch to a worker, first merging the oldest when {@link #IN_FLIGHT} are out. */
        private void submit() throws IOException {
            while (pending.size() >= IN_FLIGHT) {
                merge(pending.removeFirst());
            }
            Batch lines = batch;
            batch = null;
            FutureTask<Batch> task = new FutureTask<>(() -> check(lines));
            pending.addLast(task);
            workers.execute(task);
        }

        void finish() throws IOException {
            if (batch != null) {
                submit();
            }
            while (!pending.isEmpty()) {
                merge(pending.removeFirst());
            }
        }

        private void merge(Future<Batch> task) throws IOException {
            Batch done;
            try {
                done = task.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while checking the dataset");
            } catch (ExecutionException e) {
                if (e.getCause() instanceof UncheckedIOException io) {
                    throw io.getCause();
                }
                if (e.getCause() instanceof RuntimeException runtime) {
                    throw runtime;
                }
                throw new IllegalStateException("checking a batch of the dataset failed", e.getCause());
            }
            run.absorb(done.result, done.out);
            free.addLast(done);
        }

        /** Drops what is still pending when the read ended early (too large, client gone). */
        @Override
        public void close() {
            pending.forEach(task -> task.cancel(false));
            pending.clear();
        }
    }

    /** Checks one batch on a worker, against the format the records before it fixed. */
    private Batch check(Batch lines) {
        try {
            for (int i = 0; i < lines.count; i++) {
                int to = lines.ends[i];
                boolean oversize = to < 0;
                processLine(
                        lines.bytes,
                        lines.starts[i],
                        oversize ? lines.starts[i] : to,
                        oversize,
                        lines.first + i,
                        lines.result);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return lines;
    }

    /**
     * Consecutive lines copied out of the read buffer (a line over the record limit is kept as its mark only), and,
     * once checked, what they came to: their normalised output and their counts. Reused for the next batch once
     * merged.
     */
    private final class Batch {
        private final CanonicalChatLine.Buffer out = new CanonicalChatLine.Buffer(batchBytes + batchBytes / 8);
        private final Run result = new Run(out);
        private long first;
        private byte[] bytes = new byte[batchBytes];
        private int size;
        private int count;
        private int[] starts = new int[1024];
        /** Where each line ends; -1 for a line over the record limit. */
        private int[] ends = new int[1024];

        void start(long firstLine, DatasetFormat format) {
            first = firstLine;
            size = 0;
            count = 0;
            out.reset();
            result.reset(format);
        }

        void add(byte[] line, int from, int to, boolean oversize) {
            if (count == starts.length) {
                starts = Arrays.copyOf(starts, count * 2);
                ends = Arrays.copyOf(ends, count * 2);
            }
            int length = oversize ? 0 : to - from;
            bytes = ensure(bytes, size + length);
            System.arraycopy(line, from, bytes, size, length);
            starts[count] = size;
            size += length;
            ends[count++] = oversize ? -1 : size;
        }
    }

    private void processLine(byte[] line, int from, int to, boolean oversize, long lineNo, Run run) throws IOException {
        if (oversize) {
            run.reject(lineNo, "record_too_large", "record is larger than " + maxRecordBytes + " bytes");
            return;
        }
        int end = to;
        while (end > from && isWhitespace(line[end - 1])) {
            end--;
        }
        int begin = from;
        while (begin < end && isWhitespace(line[begin])) {
            begin++;
        }
        if (begin == end) {
            return;
        }
        if (!utf8Start(line, begin, end)) {
            // A zero byte among the first four would make the parser guess UTF-16/32 (RFC 4627 §3).
            run.reject(lineNo, "invalid_encoding", "line is not UTF-8 text");
            return;
        }
        CanonicalChatLine canonical = run.canonical;
        if ((run.format == null || run.format == DatasetFormat.OPENAI) && canonical.write(line, begin, end, run.out)) {
            run.acceptCanonical(canonical.chars(), canonical.tokens());
            return;
        }
        JsonNode node;
        try {
            node = lineReader.readTree(line, begin, end - begin);
        } catch (CharConversionException e) {
            run.reject(lineNo, "invalid_encoding", "line is not UTF-8 text");
            return;
        } catch (JsonProcessingException e) {
            JsonProblems.Problem problem = JsonProblems.describe(e, "line is not valid JSON");
            run.reject(lineNo, problem.code(), problem.message());
            return;
        }
        run.accept(node, lineNo);
    }

    /**
     * Line numbers come from the parser, which also counts a lone {@code \r} as a line break; they are capped at
     * the line breaks actually read, so an error never names a line past the end of the file.
     */
    private void readArray(InputStream in, long lineOffset, Run run, Limited limited) throws IOException {
        JsonParser parser = mapper.getFactory().createParser(in);
        LongUnaryOperator at =
                parserLine -> Math.max(1, Math.min(parserLine + lineOffset, lineOffset + limited.newlines + 1));
        long line = lineOffset + 1;
        try (parser) {
            parser.nextToken();
            JsonToken token;
            while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
                if (token == null) {
                    run.fatal(
                            at.applyAsLong(parser.currentLocation().getLineNr()),
                            "invalid_json",
                            "the file ends inside the JSON array");
                    return;
                }
                line = at.applyAsLong(parser.currentTokenLocation().getLineNr());
                long startOffset = parser.currentTokenLocation().getByteOffset();
                JsonNode node = mapper.readTree(parser);
                if (parser.currentLocation().getByteOffset() - startOffset > maxRecordBytes) {
                    run.reject(line, "record_too_large", "record is larger than " + maxRecordBytes + " bytes");
                    continue;
                }
                run.accept(node, line);
            }
            if (parser.nextToken() != null) {
                run.fatal(
                        at.applyAsLong(parser.currentTokenLocation().getLineNr()),
                        "invalid_json",
                        "unexpected content after the JSON array");
            }
        } catch (CharConversionException e) {
            run.fatal(line, "invalid_encoding", "the JSON array is not UTF-8 text");
        } catch (JsonProcessingException e) {
            long where = e.getLocation() != null && e.getLocation().getLineNr() > 0
                    ? at.applyAsLong(e.getLocation().getLineNr())
                    : line;
            JsonProblems.Problem problem = JsonProblems.describe(e, "the JSON array is malformed");
            run.fatal(where, problem.code(), problem.message());
        }
    }

    /** Whether the first four bytes of {@code line[begin, end)} hold no zero byte, as UTF-8 JSON text never does. */
    private static boolean utf8Start(byte[] line, int begin, int end) {
        for (int i = begin; i < Math.min(end, begin + 4); i++) {
            if (line[i] == 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isWhitespace(byte b) {
        return b == ' ' || b == '\t' || b == '\r' || b == '\n';
    }

    private static byte[] ensure(byte[] array, int size) {
        return size <= array.length ? array : Arrays.copyOf(array, Math.max(size, array.length * 2));
    }

    /** Rough token count: ~4 Latin characters per token, ~1 per CJK or other non-ASCII character. */
    static long estimateTokens(String text) {
        long ascii = 0;
        long other = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) < 128) {
                ascii++;
            } else {
                other++;
            }
        }
        return (ascii + 3) / 4 + other;
    }

    /** Accumulates one validation, or one batch of it. */
    private final class Run {
        private final OutputStream out;
        private final List<RecordError> errors = new ArrayList<>();
        /** The fast path for canonical chat lines, one per thread that checks lines. */
        private final CanonicalChatLine canonical = new CanonicalChatLine(mapper.getFactory());

        private DatasetFormat format;
        private long valid;
        private long invalid;
        private long totalChars;
        private long maxChars;
        private long tokens;
        private boolean fatal;

        Run(OutputStream out) {
            this.out = out;
        }

        /** Empties this run for a batch of lines checked against {@code expected}. */
        void reset(DatasetFormat expected) {
            errors.clear();
            format = expected;
            valid = 0;
            invalid = 0;
            totalChars = 0;
            maxChars = 0;
            tokens = 0;
            fatal = false;
        }

        /** Adds a checked batch of the lines after those seen so far: its output, counts and first errors. */
        void absorb(Run part, CanonicalChatLine.Buffer written) throws IOException {
            written.writeTo(out);
            valid += part.valid;
            invalid += part.invalid;
            totalChars += part.totalChars;
            maxChars = Math.max(maxChars, part.maxChars);
            tokens += part.tokens;
            for (RecordError error : part.errors) {
                if (errors.size() >= maxErrors) {
                    break;
                }
                errors.add(error);
            }
        }

        void accept(JsonNode node, long line) throws IOException {
            RecordNormalizer.Result result = RecordNormalizer.normalize(node, format);
            if (!result.valid()) {
                reject(line, result.code(), result.message());
                return;
            }
            if (format == null) {
                format = DatasetFormat.detect(node);
            }
            long chars = 0;
            for (ChatMessage m : result.messages()) {
                chars += m.content().length();
                tokens += estimateTokens(m.content()) + 4;
            }
            totalChars += chars;
            maxChars = Math.max(maxChars, chars);
            valid++;
            out.write(sampleWriter.writeValueAsBytes(new Sample(result.messages())));
            out.write('\n');
        }

        /** A line {@link CanonicalChatLine} wrote already (without its line break). */
        void acceptCanonical(long chars, long lineTokens) throws IOException {
            format = DatasetFormat.OPENAI;
            tokens += lineTokens;
            totalChars += chars;
            maxChars = Math.max(maxChars, chars);
            valid++;
            out.write('\n');
        }

        void reject(long line, String code, String message) {
            invalid++;
            if (errors.size() < maxErrors) {
                errors.add(new RecordError(line, code, message));
            }
        }

        void fatal(long line, String code, String message) {
            fatal = true;
            if (errors.size() >= maxErrors) {
                errors.remove(errors.size() - 1);
            }
            errors.add(new RecordError(line, code, message));
        }

        Report report(long bytes) {
            return new Report(format, valid, invalid, bytes, totalChars, maxChars, tokens, List.copyOf(errors), fatal);
        }
    }

    /** Counts the bytes (and, when asked, the line breaks) read and fails once there are more than the limit. */
    private static final class Limited extends FilterInputStream {
        private final long limit;
        private long count;
        private boolean countLines;
        private long newlines;

        Limited(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b != -1) {
                add(1);
                if (countLines && b == '\n') {
                    newlines++;
                }
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                add(n);
                if (countLines) {
                    for (int i = off; i < off + n; i++) {
                        if (b[i] == '\n') {
                            newlines++;
                        }
                    }
                }
            }
            return n;
        }

        private void add(long n) {
            count += n;
            if (count > limit) {
                throw new StudioException(
                        FinetuneError.DATASET_TOO_LARGE,
                        "the dataset is larger than the limit of " + limit
                                + " bytes (studio.finetune.dataset.max-bytes)");
            }
        }
    }
}
