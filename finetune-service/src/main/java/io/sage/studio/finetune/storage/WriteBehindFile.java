package io.sage.studio.finetune.storage;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A new file written in one go (a dataset being stored) that has the disk take what was written so far every
 * {@code every} bytes, in the background, while the writer goes on.
 *
 * <p>Why: the kernel starts writing dirty pages back only once they are a tenth of the memory, so a 1 GB upload used
 * to sit in the page cache until the {@link Durability#file} at its end, which then waited about a second for all of
 * it. Forcing along the way leaves only the last piece for that final force. It is only an early start: the final
 * force is still what makes the file durable, so a background force that fails or is skipped loses nothing.
 *
 * <p>At most one background force per file runs at a time, on one shared daemon thread with a bounded queue; when
 * the queue is full the force is skipped.
 */
public final class WriteBehindFile extends OutputStream {

    private static final ThreadPoolExecutor FLUSHER = flusher();

    private final FileOutputStream out;
    private final FileChannel channel;
    private final long every;
    private final AtomicBoolean forcing = new AtomicBoolean();
    private final AtomicInteger forced = new AtomicInteger();
    private long unforced;

    private WriteBehindFile(Path file, long every) throws IOException {
        this.out = new FileOutputStream(file.toFile());
        this.channel = out.getChannel();
        this.every = every;
    }

    /** Creates (or truncates) {@code file}; a background force starts after each {@code every} bytes. */
    public static WriteBehindFile create(Path file, long every) throws IOException {
        return new WriteBehindFile(file, every);
    }

    @Override
    public void write(int b) throws IOException {
        out.write(b);
        written(1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        written(len);
    }

    private void written(long bytes) {
        unforced += bytes;
        if (unforced < every || !forcing.compareAndSet(false, true)) {
            return;
        }
        unforced = 0;
        try {
            FLUSHER.execute(() -> {
                try {
                    channel.force(false);
                    forced.incrementAndGet();
                } catch (IOException e) {
                    // Closed meanwhile, or a disk error that the final force reports to the writer.
                } finally {
                    forcing.set(false);
                }
            });
        } catch (RejectedExecutionException e) {
            forcing.set(false);
        }
    }

    /** Background forces that completed so far. */
    public int forced() {
        return forced.get();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    private static ThreadPoolExecutor flusher() {
        ThreadPoolExecutor pool =
                new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(16), r -> {
                    Thread t = new Thread(r, "write-behind");
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }
}
