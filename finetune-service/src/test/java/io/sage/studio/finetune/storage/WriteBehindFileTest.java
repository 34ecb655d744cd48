package io.sage.studio.finetune.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriteBehindFileTest {

    @TempDir
    Path dir;

    @Test
    void writesEveryByteAndForcesInTheBackgroundAlongTheWay() throws Exception {
        Path file = dir.resolve("data.jsonl");
        byte[] chunk = new byte[4096];
        new Random(7).nextBytes(chunk);
        WriteBehindFile out = WriteBehindFile.create(file, 16 * 1024);
        try (out) {
            for (int i = 0; i < 256; i++) {
                out.write(chunk, 0, chunk.length);
                out.write('\n');
                if (i % 32 == 31) {
                    waitForForces(out, i / 32 + 1);
                }
            }
        }
        assertThat(out.forced()).as("background forces").isGreaterThanOrEqualTo(8);
        byte[] written = Files.readAllBytes(file);
        assertThat(written).hasSize(256 * 4097);
        assertThat(Arrays.copyOfRange(written, 4097 * 200, 4097 * 200 + 4096)).isEqualTo(chunk);
    }

    @Test
    void belowTheIntervalNothingIsForcedEarly() throws IOException {
        Path file = dir.resolve("small.jsonl");
        WriteBehindFile out = WriteBehindFile.create(file, 1 << 20);
        try (out) {
            out.write(new byte[1000], 0, 1000);
        }
        assertThat(out.forced()).isZero();
        assertThat(Files.size(file)).isEqualTo(1000);
    }

    private static void waitForForces(WriteBehindFile out, int count) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (out.forced() < count && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }
}
