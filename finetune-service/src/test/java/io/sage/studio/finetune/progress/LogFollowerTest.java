package io.sage.studio.finetune.progress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.smallrye.mutiny.helpers.test.AssertSubscriber;

class LogFollowerTest {

    @TempDir
    Path tmp;

    private static void append(Path file, int lines, String text) throws IOException {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            out.append(text).append(' ').append(i).append('\n');
        }
        Files.writeString(file, out, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    @Test
    void followsTheTailAndNewLinesThenEndsWithFinished() throws IOException {
        Path log = tmp.resolve("logs.txt");
        append(log, 10, "old");
        AtomicBoolean finished = new AtomicBoolean();
        try (LogFollower follower = new LogFollower()) {
            AssertSubscriber<LogEvent> sub = follower.follow(log, 3, finished::get)
                    .subscribe()
                    .withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
            append(log, 2000, "new");
            Files.writeString(log, "last line without a break", StandardOpenOption.APPEND);
            finished.set(true);
            sub.awaitCompletion(Duration.ofSeconds(30));
            assertThat(sub.getItems()).hasSize(3 + 2000 + 1 + 1);
            assertThat(sub.getItems().get(0).line()).isEqualTo("old 7");
            assertThat(sub.getItems().get(3).line()).isEqualTo("new 0");
            assertThat(sub.getItems().get(2003).line()).isEqualTo("last line without a break");
            assertThat(sub.getItems().get(2004).end()).isEqualTo(LogEvent.FINISHED);
        }
    }

    @Test
    void aReaderThatStopsTakingLinesIsEndedAsTooSlowInsteadOfBufferedFor() throws IOException {
        Path log = tmp.resolve("logs.txt");
        append(log, 1, "start");
        try (LogFollower follower = new LogFollower(Duration.ofMillis(200))) {
            AssertSubscriber<LogEvent> sub =
                    follower.follow(log, 0, () -> false).subscribe().withSubscriber(AssertSubscriber.create(1));
            // Far more than the read-ahead bound, while the reader asks for nothing more.
            append(log, 50_000, "x".repeat(100));
            // One line every 2 s, ten times the stall limit: each taken line restarts the stall clock, and on a
            // loaded machine (polls late) a request every 500 ms kept resetting it before a poll saw the stall.
            await().pollInterval(Duration.ofSeconds(2))
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> {
                        sub.request(1);
                        return sub.getItems().stream().anyMatch(LogEvent::isEnd);
                    });
            sub.awaitCompletion(Duration.ofSeconds(5));
            assertThat(sub.getItems().get(sub.getItems().size() - 1).end()).isEqualTo(LogEvent.TOO_SLOW);
            assertThat(sub.getItems()).hasSizeLessThan(200);
        }
    }

    @Test
    void anOverlongLineIsCut() throws IOException {
        Path log = tmp.resolve("logs.txt");
        Files.writeString(log, "");
        AtomicBoolean finished = new AtomicBoolean();
        try (LogFollower follower = new LogFollower()) {
            AssertSubscriber<LogEvent> sub = follower.follow(log, 0, finished::get)
                    .subscribe()
                    .withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
            Files.writeString(log, "y".repeat(LogFollower.MAX_LINE_BYTES * 3) + "\nshort\n", StandardOpenOption.APPEND);
            finished.set(true);
            sub.awaitCompletion(Duration.ofSeconds(30));
            assertThat(sub.getItems().get(0).line())
                    .startsWith("yyy")
                    .contains("line cut at")
                    .hasSizeLessThan(LogFollower.MAX_LINE_BYTES + 100);
            assertThat(sub.getItems().get(1).line()).isEqualTo("short");
        }
    }
}
