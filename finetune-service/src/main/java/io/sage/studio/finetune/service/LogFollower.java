package io.sage.studio.finetune.service;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;

/**
 * {@code tail -f} for a task's {@code logs.txt}: the last lines, then every line appended, until the task is
 * finished and everything it wrote has been sent. One shared timer thread serves all followers.
 */
final class LogFollower implements AutoCloseable {

    static final Duration POLL = Duration.ofMillis(250);

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "log-follower");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * @param finished tells when no more lines will come (the task is terminal)
     */
    Multi<String> follow(Path file, int tail, BooleanSupplier finished) {
        return Multi.createFrom().emitter(emitter -> {
            Follow follow = new Follow(file, emitter, finished);
            long start;
            try {
                start = follow.length();
            } catch (IOException e) {
                start = 0;
            }
            LogTail.lastLines(file, tail).forEach(emitter::emit);
            follow.offset = start;
            ScheduledFuture<?> task = timer.scheduleWithFixedDelay(follow::step, POLL.toMillis(), POLL.toMillis(),
                    TimeUnit.MILLISECONDS);
            emitter.onTermination(() -> task.cancel(false));
        });
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    /** One follower's position in the file. */
    private static final class Follow {
        private final Path file;
        private final MultiEmitter<? super String> emitter;
        private final BooleanSupplier finished;
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        long offset;

        Follow(Path file, MultiEmitter<? super String> emitter, BooleanSupplier finished) {
            this.file = file;
            this.emitter = emitter;
            this.finished = finished;
        }

        long length() throws IOException {
            try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
                return in.length();
            }
        }

        void step() {
            if (emitter.isCancelled()) {
                return;
            }
            boolean done = finished.getAsBoolean();
            try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
                long length = in.length();
                if (length < offset) {
                    offset = 0;
                }
                byte[] buffer = new byte[8192];
                in.seek(offset);
                int n;
                while (offset < length && (n = in.read(buffer, 0, (int) Math.min(buffer.length, length - offset))) > 0) {
                    offset += n;
                    for (int i = 0; i < n; i++) {
                        if (buffer[i] == '\n') {
                            emitLine();
                        } else {
                            partial.write(buffer[i]);
                        }
                    }
                }
            } catch (IOException e) {
                if (!done) {
                    return;
                }
            }
            if (done) {
                if (partial.size() > 0) {
                    emitLine();
                }
                emitter.complete();
            }
        }

        private void emitLine() {
            String line = partial.toString(StandardCharsets.UTF_8);
            partial.reset();
            emitter.emit(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
        }
    }
}
