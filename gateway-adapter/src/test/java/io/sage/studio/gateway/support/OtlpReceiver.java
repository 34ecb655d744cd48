package io.sage.studio.gateway.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpServer;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Tracing on for the gateway under test: a local OTLP receiver (http/protobuf on loopback) is its exporter's endpoint,
 * so the studio's {@code TracingConfig} turns the SDK on exactly as {@code OTEL_EXPORTER_OTLP_ENDPOINT} would in a
 * cluster. The receiver decodes the spans it gets (the few fields the tests read) rather than trusting that bytes
 * arrived: a test can ask for the span with a given id and check its trace, parent and kind.
 */
public class OtlpReceiver implements QuarkusTestResourceLifecycleManager {

    /** OTLP {@code Span.SpanKind} of a server span. */
    public static final int SERVER = 2;

    /** One exported span: ids as lower-case hex, {@code parentSpanId} empty for a root span. */
    public record ExportedSpan(String traceId, String spanId, String parentSpanId, String name, int kind) {}

    /** Every span received (at most 10,000). */
    public static final List<ExportedSpan> SPANS = new CopyOnWriteArrayList<>();

    private HttpServer server;

    @Override
    public Map<String, String> start() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            if (SPANS.size() < 10_000) {
                SPANS.addAll(spans(body));
            }
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
        return Map.of(
                "quarkus.otel.exporter.otlp.endpoint",
                        "http://127.0.0.1:" + server.getAddress().getPort(),
                "quarkus.otel.exporter.otlp.protocol", "http/protobuf",
                "quarkus.otel.bsp.schedule.delay", "100ms");
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    /**
     * The spans of an {@code ExportTraceServiceRequest}: resource_spans (1) → scope_spans (2) → spans (2), each with
     * trace_id (1), span_id (2), parent_span_id (4), name (5) and kind (6); every other field is skipped.
     */
    static List<ExportedSpan> spans(byte[] request) {
        List<ExportedSpan> out = new ArrayList<>();
        for (ByteBuffer resourceSpans : fields(ByteBuffer.wrap(request), 1)) {
            for (ByteBuffer scopeSpans : fields(resourceSpans, 2)) {
                for (ByteBuffer span : fields(scopeSpans, 2)) {
                    out.add(span(span));
                }
            }
        }
        return out;
    }

    private static ExportedSpan span(ByteBuffer span) {
        HexFormat hex = HexFormat.of();
        String traceId = "";
        String spanId = "";
        String parent = "";
        String name = "";
        int kind = 0;
        while (span.hasRemaining()) {
            long key = varint(span);
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (wire == 2) {
                byte[] bytes = new byte[(int) varint(span)];
                span.get(bytes);
                switch (field) {
                    case 1 -> traceId = hex.formatHex(bytes);
                    case 2 -> spanId = hex.formatHex(bytes);
                    case 4 -> parent = hex.formatHex(bytes);
                    case 5 -> name = new String(bytes, StandardCharsets.UTF_8);
                    default -> {}
                }
            } else if (wire == 0 && field == 6) {
                kind = (int) varint(span);
            } else {
                skip(span, wire);
            }
        }
        return new ExportedSpan(traceId, spanId, parent, name, kind);
    }

    /** The length-delimited values of field {@code number} in {@code message}. */
    private static List<ByteBuffer> fields(ByteBuffer message, int number) {
        List<ByteBuffer> out = new ArrayList<>();
        ByteBuffer in = message.duplicate();
        while (in.hasRemaining()) {
            long key = varint(in);
            int wire = (int) (key & 7);
            if (wire == 2 && (key >>> 3) == number) {
                int length = (int) varint(in);
                out.add(in.slice(in.position(), length));
                in.position(in.position() + length);
            } else {
                skip(in, wire);
            }
        }
        return out;
    }

    private static void skip(ByteBuffer in, int wire) {
        switch (wire) {
            case 0 -> varint(in);
            case 1 -> in.position(in.position() + 8);
            case 2 -> {
                int length = (int) varint(in);
                in.position(in.position() + length);
            }
            case 5 -> in.position(in.position() + 4);
            default -> throw new IllegalArgumentException("unexpected protobuf wire type " + wire);
        }
    }

    private static long varint(ByteBuffer in) {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = in.get();
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IllegalArgumentException("malformed varint");
    }
}
