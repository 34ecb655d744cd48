package io.sage.studio.events;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * CloudEvents 1.0 in Kafka binary mode: attributes as {@code ce_*} headers, the event's JSON as the value.
 * Used by plain Kafka clients (the CLI, compacted-topic views, tests); the services' SmallRye channels
 * write the same headers.
 *
 * <p>Tracing: the CloudEvents distributed-tracing extension travels as {@code ce_traceparent} / {@code ce_tracestate}
 * (W3C Trace Context strings). This module only carries the strings; creating spans from them is studio-common's
 * {@code io.sage.studio.common.tracing}, so the event contracts stay free of an OpenTelemetry dependency.
 */
public final class CloudEvents {

    public static final String SPEC_VERSION = "1.0";
    public static final String CONTENT_TYPE = "application/json";

    public static final String H_SPEC_VERSION = "ce_specversion";
    public static final String H_ID = "ce_id";
    public static final String H_SOURCE = "ce_source";
    public static final String H_TYPE = "ce_type";
    public static final String H_TIME = "ce_time";
    public static final String H_SUBJECT = "ce_subject";
    public static final String H_CONTENT_TYPE = "content-type";
    /** CloudEvents distributed-tracing extension: the W3C {@code traceparent} of the context that sent the event. */
    public static final String H_TRACEPARENT = "ce_traceparent";
    /** CloudEvents distributed-tracing extension: the W3C {@code tracestate} beside {@link #H_TRACEPARENT}. */
    public static final String H_TRACESTATE = "ce_tracestate";
    /** The extension attribute names (without the {@code ce_} prefix), as SmallRye's CloudEvents metadata takes them. */
    public static final String EXT_TRACEPARENT = "traceparent";

    public static final String EXT_TRACESTATE = "tracestate";

    private CloudEvents() {}

    /** The CloudEvents {@code source} of a studio component, e.g. {@code /sage-studio/finetune-service}. */
    public static String source(String component) {
        return "/sage-studio/" + component;
    }

    /** Binary-mode headers for an event. */
    public static Headers headers(StudioEvent event, String source) {
        RecordHeaders headers = new RecordHeaders();
        put(headers, H_SPEC_VERSION, SPEC_VERSION);
        put(headers, H_ID, UUID.randomUUID().toString());
        put(headers, H_SOURCE, source);
        put(headers, H_TYPE, event.cloudEventType());
        put(headers, H_TIME, Instant.now().toString());
        put(headers, H_SUBJECT, event.key());
        put(headers, H_CONTENT_TYPE, CONTENT_TYPE);
        return headers;
    }

    /**
     * Binary-mode headers plus the distributed-tracing extension: {@code traceparent} and {@code tracestate} are
     * added when not blank (a {@code null} traceparent means the sender was not traced, and the event carries none).
     */
    public static Headers headers(StudioEvent event, String source, String traceparent, String tracestate) {
        Headers headers = headers(event, source);
        if (traceparent != null && !traceparent.isBlank()) {
            put(headers, H_TRACEPARENT, traceparent);
            if (tracestate != null && !tracestate.isBlank()) {
                put(headers, H_TRACESTATE, tracestate);
            }
        }
        return headers;
    }

    /** A producer record in binary mode, keyed by the event's key, on the event's topic. */
    public static ProducerRecord<String, byte[]> record(StudioEvent event, String source) {
        return new ProducerRecord<>(event.topic(), null, event.key(), encode(event), headers(event, source));
    }

    public static byte[] encode(Object event) {
        try {
            return StudioJson.mapper().writeValueAsBytes(event);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static <T> T decode(byte[] data, Class<T> type) {
        try {
            return StudioJson.mapper().readValue(data, type);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot decode " + type.getSimpleName(), e);
        }
    }

    /** The value of a header as text, or {@code null}. */
    public static String header(Headers headers, String name) {
        Header header = headers.lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    /** The {@code ce_traceparent} of a consumed record, or {@code null} when its sender was not traced. */
    public static String traceparentOf(ConsumerRecord<?, ?> record) {
        return header(record.headers(), H_TRACEPARENT);
    }

    /** The CloudEvents type of a consumed record, or {@code null} when it carries none. */
    public static String typeOf(ConsumerRecord<?, ?> record) {
        return header(record.headers(), H_TYPE);
    }

    private static void put(Headers headers, String name, String value) {
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
