package io.sage.studio.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Blocks of consecutive free ports for a test's studio, chosen outside the kernel's ephemeral range
 * ({@code net.ipv4.ip_local_port_range}, 32768-60999 by default). A port inside it can become the local end of any
 * outgoing connection, a service's Kafka client for instance, between the moment a block is picked and the moment an
 * engine binds it minutes later, and it stays taken for as long as that connection lives (a CI run lost a switch to
 * exactly that). {@link #isFree} binds without {@code SO_REUSEADDR}, so a port in {@code TIME_WAIT} counts as taken.
 */
public final class FreePorts {

    static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    /** Below this, ports are left to well-known services and to the studio's own defaults (8001-8011, 9092, ...). */
    static final int LOWEST = 10_000;

    private FreePorts() {}

    /** The first port of {@code count} consecutive free ports, none of them ephemeral. */
    public static int block(int count) {
        return block(count, windows(ephemeralRange(EPHEMERAL_RANGE)));
    }

    static int block(int count, List<int[]> windows) {
        List<int[]> fitting =
                windows.stream().filter(w -> w[1] - w[0] + 1 >= count).toList();
        if (fitting.isEmpty()) {
            throw new IllegalStateException("no room for " + count + " ports outside the ephemeral range");
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200; attempt++) {
            int[] window = fitting.get(random.nextInt(fitting.size()));
            int start = random.nextInt(window[0], window[1] - count + 2);
            boolean free = true;
            for (int p = start; p < start + count && free; p++) {
                free = isFree(p);
            }
            if (free) {
                return start;
            }
        }
        throw new IllegalStateException("no block of " + count + " free ports outside the ephemeral range");
    }

    /**
     * Where blocks may start and end ({@code [from, to]} pairs): from {@link #LOWEST} up to the ephemeral range, and
     * from its end to 65535; without a known range, below 32768 (Linux' default start). Where the range leaves no
     * room (a machine that made nearly every port ephemeral), anywhere from {@link #LOWEST} up: racy, as before.
     */
    static List<int[]> windows(int[] ephemeral) {
        int low = ephemeral == null ? 32_768 : ephemeral[0];
        int high = ephemeral == null ? 65_536 : ephemeral[1];
        List<int[]> windows = new ArrayList<>();
        if (low - 1 >= LOWEST) {
            windows.add(new int[] {LOWEST, low - 1});
        }
        if (high + 1 <= 65_535) {
            windows.add(new int[] {Math.max(LOWEST, high + 1), 65_535});
        }
        if (windows.isEmpty()) {
            windows.add(new int[] {LOWEST, 65_535});
        }
        return windows;
    }

    /** The kernel's ephemeral range {@code [low, high]}, or {@code null} where the file is missing or unreadable. */
    static int[] ephemeralRange(Path file) {
        try {
            // Not Files.readString: it sizes its read by the file's size, and /proc reports 0 (it returned "3").
            String[] parts = String.join(" ", Files.readAllLines(file, StandardCharsets.US_ASCII))
                    .strip()
                    .split("\\s+");
            return parts.length == 2 ? new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])} : null;
        } catch (IOException | NumberFormatException e) {
            return null;
        }
    }

    /** Whether nothing on this machine is bound to {@code port} (any address). */
    public static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
