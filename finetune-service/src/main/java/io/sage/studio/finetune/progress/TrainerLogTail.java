package io.sage.studio.finetune.progress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The last lines of a log file, read backwards from its end (never the whole file). Results are cached per
 * file until its size or modification time changes, so listing many finished tasks costs one {@code stat} each.
 * A log that is a symbolic link reads as empty: it is never followed (see {@link TaskFiles}).
 */
public final class TrainerLogTail {

    /** The trainer's stdout and stderr in its task folder. */
    public static final String FILE = "logs.txt";

    private static final int MAX_TAIL_BYTES = 64 * 1024;

    private record Cached(long size, long modified, int lines, String text) {}

    private final Map<Path, Cached> cache = new ConcurrentHashMap<>();

    /** The last {@code lines} lines of {@code file} (at most 64 KiB), or {@code ""} when it does not exist. */
    public String tail(Path file, int lines) {
        if (lines <= 0) {
            return "";
        }
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            cache.remove(file);
            return "";
        }
        long size = attrs.size();
        long modified = attrs.lastModifiedTime().toMillis();
        Cached cached = cache.get(file);
        if (cached != null && cached.size() == size && cached.modified() == modified && cached.lines() == lines) {
            return cached.text();
        }
        String text = String.join("\n", lastLines(file, lines));
        cache.put(file, new Cached(size, modified, lines, text));
        return text;
    }

    public void forget(Path file) {
        cache.remove(file);
    }

    /** The last {@code lines} lines of {@code file} as text, each ending with a line break ({@code ""} for none). */
    public static String text(Path file, int lines) {
        List<String> tail = lastLines(file, lines);
        return tail.isEmpty() ? "" : String.join("\n", tail) + "\n";
    }

    /** The last {@code lines} complete or trailing lines of a file, read from its end. */
    public static List<String> lastLines(Path file, int lines) {
        try (SeekableByteChannel in = TaskFiles.open(file)) {
            long length = in.size();
            int read = (int) Math.min(length, MAX_TAIL_BYTES);
            ByteBuffer bytes = ByteBuffer.allocate(read);
            in.position(length - read);
            while (bytes.hasRemaining() && in.read(bytes) > 0) {
                continue;
            }
            String text = new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8);
            if (bytes.position() < length) {
                int firstBreak = text.indexOf('\n');
                text = firstBreak < 0 ? text : text.substring(firstBreak + 1);
            }
            List<String> all = Arrays.asList(text.split("\r?\n", -1));
            if (!all.isEmpty() && all.get(all.size() - 1).isEmpty()) {
                all = all.subList(0, all.size() - 1);
            }
            return all.subList(Math.max(0, all.size() - lines), all.size());
        } catch (IOException e) {
            return List.of();
        }
    }
}
