package io.sage.studio.finetune.tracing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpServer;

import io.sage.studio.finetune.StudioTestResource;

/**
 * {@link StudioTestResource} with tracing on: a local OTLP receiver (http/protobuf on loopback, keeping the request
 * bodies it got) as the exporter's endpoint, and a trainer command that prints the trace environment it was started
 * with ({@code trace env: TRACEPARENT=… OTEL_EXPORTER_OTLP_ENDPOINT=…}) before it runs the stand-in trainer.
 */
public class TracingTestResource extends StudioTestResource {

    /** What the receiver got (at most 1000 bodies). */
    static final List<byte[]> EXPORTS = new CopyOnWriteArrayList<>();

    static String endpoint;
    private HttpServer receiver;

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new java.util.HashMap<>(super.start());
        try {
            receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            Path wrapper = Files.createTempFile("trace-env-trainer-", ".sh");
            Path fake = Path.of("..", "testing", "fake-trainer", "fake_trainer.py")
                    .toAbsolutePath()
                    .normalize();
            Files.writeString(
                    wrapper,
                    "#!/bin/sh\n"
                            + "echo \"trace env: TRACEPARENT=${TRACEPARENT:-none}"
                            + " OTEL_EXPORTER_OTLP_ENDPOINT=${OTEL_EXPORTER_OTLP_ENDPOINT:-none}\"\n"
                            + "exec python3 " + fake + " \"$@\"\n");
            Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwx------"));
            config.put("studio.finetune.local.trainer-command", wrapper.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        receiver.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            if (EXPORTS.size() < 1000) {
                EXPORTS.add(body);
            }
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
        endpoint = "http://127.0.0.1:" + receiver.getAddress().getPort();
        config.put("quarkus.otel.exporter.otlp.endpoint", endpoint);
        config.put("quarkus.otel.exporter.otlp.protocol", "http/protobuf");
        config.put("quarkus.otel.bsp.schedule.delay", "100ms");
        return config;
    }

    @Override
    public int order() {
        // after the GLOBAL StudioTestResource: this one's trainer command wins
        return 100;
    }

    @Override
    public void stop() {
        super.stop();
        if (receiver != null) {
            receiver.stop(0);
        }
    }
}
