package io.sage.studio.finetune.progress;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;

/**
 * {@code tail -f} for a task's {@code logs.txt}: the last lines, then every line appended, until the task is
 * finished and everything it wrote has been sent. One shared timer thread serves all followers.
 *
 * <p>Bounded per follower: the file itself is the buffer. A follower reads ahead of its subscriber's demand at
 * most {@value #MAX_PENDING_LINES} lines / {@value #MAX_PENDING_BYTES} bytes (plus one read chunk), and a line
 * longer than {@value #MAX_LINE_BYTES} bytes is cut. A subscriber that has asked for nothing for {@code stallLimit}
 * while lines wait for it and more are written is ended with {@link LogEvent#TOO_SLOW} instead of being buffered
 * for.
 */
public final class LogFollower implements AutoCloseable {

    static final Duration POLL = Duration.ofMillis(250);
    static final Duration STALL_LIMIT = Duration.ofSeconds(10);
    static final int MAX_PENDING_LINES = 1024;
    static final int MAX_PENDING_BYTES = 1 << 20;
    static final int MAX_LINE_BYTES = 64 * 1024;
    private static final int READ_CHUNK = 8192;

    private final Duration stallLimit;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "log-follower");
        thread.setDaemon(true);
        return thread;
    });

    public LogFollower() {
        this(STALL_LIMIT);
    }

    LogFollower(Duration stallLimit) {
        this.stallLimit = stallLimit;
    }

    /**
     * @param finished tells when no more lines will come (the task is terminal)
     */
    public Multi<LogEvent> follow(Path file, int tail, BooleanSupplier finished) {
        return Multi.createFrom().emitter(emitter -> {
            Follow follow = new Follow(file, emitter, finished);
            follow.start(tail);
            ScheduledFuture<?> task =
                    timer.scheduleWithFixedDelay(follow::step, POLL.toMillis(), POLL.toMillis(), TimeUnit.MILLISECONDS);
            emitter.onTermination(() -> task.cancel(false));
            emitter.onRequest(n -> follow.drain());
        });
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    /** One follower's position in the file and its bounded read-ahead. */
    private final class Follow {
        private final Path file;
        private final MultiEmitter<? super LogEvent> emitter;
        private final BooleanSupplier finished;
        private final ArrayDeque<String> pending = new ArrayDeque<>();
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        private long pendingBytes;
        private long offset;
        private boolean cutting;
        private boolean more;
        private boolean finishing;
        private boolean ended;
        /** When the subscriber was first seen with lines waiting and no demand; 0 while it keeps up. */
        private long stalledSince;

        Follow(Path file, MultiEmitter<? super LogEvent> emitter, BooleanSupplier finished) {
            this.file = file;
            this.emitter = emitter;
            this.finished = finished;
        }

        synchronized void start(int tail) {
            try (SeekableByteChannel in = TaskFiles.open(file)) {
                offset = in.size();
            } catch (IOException e) {
                offset = 0;
            }
            TrainerLogTail.lastLines(file, tail).forEach(this::add);
        }

        synchronized void step() {
            if (ended || emitter.isCancelled()) {
                return;
            }
            boolean done = finished.getAsBoolean();
            more = false;
            try (SeekableByteChannel in = TaskFiles.open(file)) {
                long length = in.size();
                if (length < offset) {
                    offset = 0;
                    partial.reset();
                    cutting = false;
                }
                ByteBuffer buffer = ByteBuffer.allocate(READ_CHUNK);
                while (offset < length && pending.size() < MAX_PENDING_LINES && pendingBytes < MAX_PENDING_BYTES) {
                    buffer.clear().limit((int) Math.min(READ_CHUNK, length - offset));
                    in.position(offset);
                    int n = in.read(buffer);
                    if (n <= 0) {
                        break;
                    }
                    offset += n;
                    for (int i = 0; i < n; i++) {
                        byte b = buffer.get(i);
                        if (b == '\n') {
                            endLine();
                        } else if (partial.size() < MAX_LINE_BYTES) {
                            partial.write(b);
                        } else {
                            cutting = true;
                        }
                    }
                }
                more = offset < length;
            } catch (IOException e) {
                // No log yet, or a link (never followed): nothing to read now.
            }
            long now = System.nanoTime();
            if (pending.isEmpty() || emitter.requested() > 0) {
                stalledSince = 0;
            } else if (stalledSince == 0) {
                stalledSince = now;
            }
            if (more && stalledSince != 0 && now - stalledSince > stallLimit.toNanos()) {
                end(LogEvent.TOO_SLOW);
                return;
            }
            if (done && !more) {
                if (partial.size() > 0) {
                    endLine();
                }
                finishing = true;
            }
            drain();
        }

        /** Sends what the subscriber asked for; ends once finishing and all is sent; reads on when it ran dry. */
        synchronized void drain() {
            while (!ended && !pending.isEmpty() && emitter.requested() > 0) {
                String line = pending.poll();
                pendingBytes -= line.length();
                stalledSince = 0;
                emitter.emit(LogEvent.line(line));
            }
            if (ended || !pending.isEmpty()) {
                return;
            }
            if (finishing) {
                end(LogEvent.FINISHED);
            } else if (more) {
                more = false;
                try {
                    timer.execute(this::step);
                } catch (RejectedExecutionException e) {
                    end(LogEvent.FINISHED);
                }
            }
        }

        private void endLine() {
            String line = partial.toString(StandardCharsets.UTF_8);
            partial.reset();
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            add(cutting ? line + " …(line cut at " + MAX_LINE_BYTES + " bytes)" : line);
            cutting = false;
        }

        private void add(String line) {
            pending.add(line);
            pendingBytes += line.length();
        }

        private void end(String reason) {
            ended = true;
            pending.clear();
            pendingBytes = 0;
            emitter.emit(LogEvent.end(reason));
            emitter.complete();
        }
    }
}
