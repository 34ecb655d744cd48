package io.sage.studio.cli.launcher;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** Whether the ports the studio needs are free, and whether something answers on one. */
final class Ports {

    private Ports() {}

    /** Whether something accepts connections on the loopback port. */
    static boolean listening(int port) {
        return listening("127.0.0.1", port);
    }

    /** Whether something accepts connections on {@code host:port}. */
    static boolean listening(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether the port can be bound on all interfaces right now. */
    static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(port));
        } catch (IOException e) {
            return false;
        }
        return !listening(port);
    }
}
