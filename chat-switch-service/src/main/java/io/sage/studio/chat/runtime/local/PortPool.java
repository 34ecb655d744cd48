package io.sage.studio.chat.runtime.local;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The ports engines may listen on ({@code 8001-8010}, {@code 8001,8005} or a mix), handed out lowest free first. */
final class PortPool {

    private final String host;
    private final List<Integer> ports;

    private PortPool(String host, List<Integer> ports) {
        this.host = host;
        this.ports = ports;
    }

    static PortPool parse(String host, String spec) {
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
        return new PortPool(host, List.copyOf(ports));
    }

    /** The first port that no known engine uses and nothing else listens on. */
    Optional<Integer> next(Set<Integer> taken) {
        return ports.stream().filter(p -> !taken.contains(p) && bindable(p)).findFirst();
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
