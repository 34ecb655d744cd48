package io.sage.studio.chat.switching;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sage.studio.chat.support.Configs;
import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.common.home.StudioHome;

/** The operation store keeps what {@code keep-operations} says, on disk and in memory, even across restarts. */
class OperationStoreTest {

    @TempDir
    Path home;

    @Test
    void aRestartLoadsOnlyTheNewestOperationsAndDeletesTheRest() throws Exception {
        Path dir = home.resolve("studio/chat/operations");
        for (int i = 0; i < 12; i++) {
            SwitchOperation op = new SwitchOperation(
                    "op-" + i,
                    "m",
                    null,
                    SwitchStrategy.BLUE_GREEN,
                    SwitchOperation.State.COMPLETED,
                    null,
                    false,
                    new SwitchOperation.Timings(Instant.now().minusSeconds(100 - i), null, null, Instant.now(), 0L),
                    List.of(),
                    "api",
                    null,
                    null,
                    null,
                    false,
                    false,
                    false);
            Path file = dir.resolve(op.id() + ".json");
            AtomicFiles.writeJson(file, op);
            Files.setLastModifiedTime(file, FileTime.from(Instant.now().minusSeconds(100 - i)));
        }
        OperationStore store =
                new OperationStore(StudioHome.at(home), Configs.chat(Map.of("studio.chat.keep-operations", "5")));

        store.load();

        assertThat(store.recent(100))
                .extracting(SwitchOperation::id)
                .containsExactly("op-11", "op-10", "op-9", "op-8", "op-7");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString()).sorted().toList())
                    .containsExactly("op-10.json", "op-11.json", "op-7.json", "op-8.json", "op-9.json");
        }
    }
}
