package io.sage.studio.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FreePortsTest {

    @RepeatedTest(20)
    void aBlockIsFreeAndNeverInsideThisMachinesEphemeralRange() {
        int[] ephemeral = FreePorts.ephemeralRange(FreePorts.EPHEMERAL_RANGE);
        int start = FreePorts.block(9);
        for (int p = start; p < start + 9; p++) {
            assertThat(FreePorts.isFree(p)).as("port %d free", p).isTrue();
            assertThat(p).isBetween(FreePorts.LOWEST, 65_535);
            if (ephemeral != null && roomOutside(ephemeral)) {
                assertThat(p >= ephemeral[0] && p <= ephemeral[1])
                        .as("port %d inside %d-%d", p, ephemeral[0], ephemeral[1])
                        .isFalse();
            }
        }
    }

    private static boolean roomOutside(int[] ephemeral) {
        List<int[]> windows = FreePorts.windows(ephemeral);
        return !(windows.size() == 1 && windows.get(0)[0] == FreePorts.LOWEST && windows.get(0)[1] == 65_535);
    }

    @Test
    void theWindowsLieOnBothSidesOfTheRangeAndAboveTheWellKnownPorts() {
        assertThat(FreePorts.windows(new int[] {32768, 60999}))
                .containsExactly(new int[] {10_000, 32767}, new int[] {61000, 65535});
        assertThat(FreePorts.windows(new int[] {1024, 65535}))
                .as("no room outside: anywhere above the well-known ports")
                .containsExactly(new int[] {10_000, 65535});
        assertThat(FreePorts.windows(null)).containsExactly(new int[] {10_000, 32767});
        assertThatThrownBy(() -> FreePorts.block(9, List.of(new int[] {10_000, 10_004})))
                .hasMessageContaining("no room for 9 ports");
    }

    @Test
    void aBlockStepsAroundABoundPort() throws IOException {
        try (ServerSocket taken = new ServerSocket(0)) {
            int port = taken.getLocalPort();
            assertThat(FreePorts.isFree(port)).isFalse();
            // the only window that fits is the bound port and its neighbours: every start overlaps it
            assertThatThrownBy(() -> FreePorts.block(2, List.of(new int[] {port, port + 1})))
                    .hasMessageContaining("no block of 2 free ports");
        }
    }

    @Test
    void theKernelsOwnRangeIsReadWhereItExists() {
        assumeTrue(Files.isReadable(FreePorts.EPHEMERAL_RANGE), "no " + FreePorts.EPHEMERAL_RANGE + " here");
        int[] range = FreePorts.ephemeralRange(FreePorts.EPHEMERAL_RANGE);
        assertThat(range)
                .as("a /proc file reports size 0, so it must be read to its end")
                .hasSize(2);
        assertThat(range[0]).isLessThan(range[1]).isGreaterThan(0);
    }

    @Test
    void theRangeFileIsReadAsTwoNumbers(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("range");
        Files.writeString(file, "40000\t50000\n");
        assertThat(FreePorts.ephemeralRange(file)).containsExactly(40000, 50000);
        Files.writeString(file, "nonsense");
        assertThat(FreePorts.ephemeralRange(file)).isNull();
        assertThat(FreePorts.ephemeralRange(dir.resolve("missing"))).isNull();
    }
}
