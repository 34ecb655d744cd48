package io.sage.studio.chat.runtime.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engines' port pool on real sockets: a port held as the local end of an outgoing connection (as a Kafka
 * client's may be, inside the kernel's ephemeral range) is not handed out, and the error says whose each port is.
 */
class PortPoolTest {

    private static final Optional<int[]> LINUX_DEFAULT = Optional.of(new int[] {32768, 60999});

    @Test
    void aPortThatIsTheLocalEndOfAnOutgoingConnectionIsSkippedAndExplained() throws IOException {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                Socket accepted = server.accept()) {
            int held = client.getLocalPort();
            PortPool pool =
                    PortPool.parse("127.0.0.1", Integer.toString(held), Optional.of(new int[] {held - 5, held + 5}));

            assertThat(pool.next(Set.of()))
                    .as("bind fails on a connection's local port")
                    .isEmpty();
            assertThat(pool.whyNoneFree(Map.of()))
                    .startsWith(held + " is in use by another process")
                    .contains("ephemeral range " + (held - 5) + "-" + (held + 5))
                    .contains("below " + (held - 5));
        }
    }

    @Test
    void theErrorNamesTheEngineOnEachPortAndLeavesOutTheHintWhenNoForeignPortIsEphemeral() throws IOException {
        try (ServerSocket other = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int foreign = other.getLocalPort();
            int engine = freePort();
            PortPool pool = PortPool.parse("127.0.0.1", engine + "," + foreign, Optional.of(new int[] {1, 2}));

            assertThat(pool.next(Set.of(engine))).isEmpty();
            assertThat(pool.whyNoneFree(Map.of(engine, "b-1a2b")))
                    .isEqualTo(engine + " serves engine b-1a2b, " + foreign + " is in use by another process");
        }
    }

    @Test
    void theFirstFreePortInTheListIsHandedOut() throws IOException {
        int a = freePort();
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int b = taken.getLocalPort();
            PortPool pool = PortPool.parse("127.0.0.1", b + ", " + a, Optional.empty());
            assertThat(pool.next(Set.of())).contains(a);
            assertThat(pool.next(Set.of(a))).isEmpty();
        }
    }

    @Test
    void portsInsideTheEphemeralRangeAreNamedForTheStartUpWarning() {
        assertThat(PortPool.parse("127.0.0.1", "8002-8011", LINUX_DEFAULT).ephemeralOverlap())
                .isEmpty();
        assertThat(PortPool.parse("127.0.0.1", "36941-36942", LINUX_DEFAULT).ephemeralOverlap())
                .hasValueSatisfying(w -> assertThat(w)
                        .startsWith("2 of the engine ports (36941-36942) lie in the kernel's ephemeral range"
                                + " 32768-60999")
                        .contains("below 32768"));
        assertThat(PortPool.parse("127.0.0.1", "8002, 40000, 50000", LINUX_DEFAULT)
                        .ephemeralOverlap())
                .hasValueSatisfying(w -> assertThat(w).startsWith("2 of the engine ports (40000, 50000)"));
        assertThat(PortPool.parse("127.0.0.1", "40000-40001", Optional.empty()).ephemeralOverlap())
                .as("no range known, nothing to say")
                .isEmpty();
    }

    @Test
    void theKernelsOwnRangeIsReadWhereItExists() {
        assumeTrue(Files.isReadable(PortPool.EPHEMERAL_RANGE), "no " + PortPool.EPHEMERAL_RANGE + " here");
        assertThat(PortPool.ephemeralRange(PortPool.EPHEMERAL_RANGE))
                .as("a /proc file reports size 0, so it must be read to its end")
                .hasValueSatisfying(r -> assertThat(r[0]).isPositive().isLessThan(r[1]));
    }

    @Test
    void theEphemeralRangeIsReadFromTheKernelsFileAndAnythingElseIsIgnored(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("ip_local_port_range");
        Files.writeString(file, "32768\t60999\n");
        assertThat(PortPool.ephemeralRange(file))
                .hasValueSatisfying(r -> assertThat(r).containsExactly(32768, 60999));
        Files.writeString(file, "not a range");
        assertThat(PortPool.ephemeralRange(file)).isEmpty();
        assertThat(PortPool.ephemeralRange(dir.resolve("missing"))).isEmpty();
    }

    @Test
    void aBadSpecIsRefusedByName() {
        assertThatThrownBy(() -> PortPool.parse("127.0.0.1", "9000-8000", Optional.empty()))
                .hasMessageContaining("'9000-8000'");
        assertThatThrownBy(() -> PortPool.parse("127.0.0.1", "eighty", Optional.empty()))
                .hasMessageContaining("'eighty'");
        assertThatThrownBy(() -> PortPool.parse("127.0.0.1", " , ", Optional.empty()))
                .hasMessageContaining("names no port");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
