package io.sage.studio.gpu.telemetry;

import java.net.InetAddress;
import java.net.UnknownHostException;

import jakarta.enterprise.context.ApplicationScoped;

import io.sage.studio.gpu.config.GpuConfig;

/** The name of the node this replica runs on: the first part of every telemetry key ({@code node/uuid}). */
@ApplicationScoped
public class NodeIdentity {

    private final String name;

    public NodeIdentity(GpuConfig config) {
        this.name =
                config.nodeName().map(String::strip).filter(n -> !n.isEmpty()).orElseGet(NodeIdentity::hostName);
        if (name.contains("/")) {
            throw new IllegalArgumentException("studio.gpu.node-name must not contain '/' (it separates node and GPU "
                    + "in telemetry keys): " + name);
        }
    }

    public String name() {
        return name;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            String env = System.getenv("HOSTNAME");
            return env == null || env.isBlank() ? "localhost" : env.strip();
        }
    }
}
