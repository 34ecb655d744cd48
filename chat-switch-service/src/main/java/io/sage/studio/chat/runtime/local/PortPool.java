package io.sage.studio.chat.runtime.local;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The ports engines may listen on ({@code 8002-8011}, {@code 8001,8005} or a mix): a new engine gets the first free
 * one in the listed order.
 *
 * <p>A port of the kernel's ephemeral range ({@code net.ipv4.ip_local_port_range}, 32768-60999 by default) can be the
 * local end of any outgoing connection of this machine, a Kafka client's for instance, and stays taken as long as
 * that connection lives: {@link #ephemeralOverlap()} names such ports for a start-up warning, and
 * {@link #whyNoneFree(Map)} says which port is whose when none is left.
 */
final class PortPool {

    static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    private static final int LISTED = 10;

    private final String host;
    private final List<Integer> ports;
    private final Optional<int[]> ephemeral;

    private PortPool(String host, List<Integer> ports, Optional<int[]> ephemeral) {
        this.host = host;
        this.ports = ports;
        this.ephemeral = ephemeral;
    }

    static PortPool parse(String host, String spec) {
        return parse(host, spec, ephemeralRange(EPHEMERAL_RANGE));
    }

    static PortPool parse(String host, String spec, Optional<int[]> ephemeral) {
        List<Integer> ports = new ArrayList<>();
        for (String part : spec.split(",")) {
            String p = part.strip();
            if (p.isEmpty()) {
                continue;
            }
            try {
                int dash = p.indexOf('-');
                int from = Integer.parseInt(dash < 0 ? p : p.substring(0, dash).strip());
                int to =
                        dash < 0 ? from : Integer.parseInt(p.substring(dash + 1).strip());
                if (from < 1 || to > 65535 || from > to) {
                    throw new IllegalArgumentException("invalid port range '" + p + "' in studio.chat.local.ports");
                }
                for (int port = from; port <= to; port++) {
                    ports.add(port);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid port '" + p + "' in studio.chat.local.ports", e);
            }
        }
        if (ports.isEmpty()) {
            throw new IllegalArgumentException("studio.chat.local.ports names no port");
        }
        return new PortPool(host, List.copyOf(ports), ephemeral);
    }

    /** The kernel's ephemeral port range as {@code [low, high]}, if the file reads as two numbers. */
    static Optional<int[]> ephemeralRange(Path file) {
        try {
            // Not Files.readString: it sizes its read by the file's size, and /proc reports 0 (it returned "3").
            String[] parts = String.join(" ", Files.readAllLines(file, StandardCharsets.US_ASCII))
                    .strip()
                    .split("\\s+");
            if (parts.length == 2) {
                return Optional.of(new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])});
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux, or not readable: nothing to warn about
        }
        return Optional.empty();
    }

    /** The first port that no known engine uses and nothing else listens on. */
    Optional<Integer> next(Set<Integer> taken) {
        return ports.stream().filter(p -> !taken.contains(p) && bindable(p)).findFirst();
    }

    /**
     * A start-up warning when some of the ports lie in the ephemeral range, e.g. {@code "3 of the engine ports
     * (36941-36943) lie in the kernel's ephemeral range 32768-60999 ..."}; empty when none does.
     */
    Optional<String> ephemeralOverlap() {
        if (ephemeral.isEmpty()) {
            return Optional.empty();
        }
        List<Integer> inside = ports.stream().filter(this::isEphemeral).toList();
        if (inside.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(inside.size() + " of the engine ports (" + list(inside) + ") lie in the kernel's ephemeral"
                + " range " + ephemeralText() + " (net.ipv4.ip_local_port_range): any outgoing connection of this"
                + " machine may hold one for as long as it lives, and an engine then cannot start there; choose"
                + " studio.chat.local.ports below " + ephemeral.get()[0]);
    }

    /**
     * Why no port is free, port by port: {@code "36941 serves engine b-1a2b, 36942 is in use by another process"},
     * with the ephemeral-range hint when another process holds a port inside it.
     */
    String whyNoneFree(Map<Integer, String> engineByPort) {
        List<String> reasons = new ArrayList<>();
        boolean foreignEphemeral = false;
        for (int port : ports) {
            String engine = engineByPort.get(port);
            if (engine != null) {
                reasons.add(port + " serves engine " + engine);
            } else if (!bindable(port)) {
                reasons.add(port + " is in use by another process");
                foreignEphemeral |= isEphemeral(port);
            } else {
                reasons.add(port + " is free again");
            }
        }
        String listed = reasons.size() <= LISTED
                ? String.join(", ", reasons)
                : String.join(", ", reasons.subList(0, LISTED)) + ", and " + (reasons.size() - LISTED) + " more";
        return listed
                + (foreignEphemeral
                        ? "; ports in the kernel's ephemeral range " + ephemeralText()
                                + " can be held by any outgoing connection: choose studio.chat.local.ports below "
                                + ephemeral.get()[0]
                        : "");
    }

    private boolean isEphemeral(int port) {
        return ephemeral.isPresent()
                && port >= ephemeral.get()[0]
                && port <= ephemeral.get()[1];
    }

    private String ephemeralText() {
        return ephemeral.get()[0] + "-" + ephemeral.get()[1];
    }

    /** {@code 36941-36943} for a run, {@code 8002, 36941} otherwise, at most {@link #LISTED} ports named. */
    private static String list(List<Integer> ports) {
        boolean run = ports.get(ports.size() - 1) - ports.get(0) == ports.size() - 1;
        if (run && ports.size() > 1) {
            return ports.get(0) + "-" + ports.get(ports.size() - 1);
        }
        List<String> names = ports.stream().limit(LISTED).map(String::valueOf).toList();
        return String.join(", ", names) + (ports.size() > LISTED ? ", ..." : "");
    }

    private boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
