package io.sage.studio.finetune.api;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

import io.sage.studio.finetune.service.LogEvent;
import io.smallrye.mutiny.Multi;

/**
 * Sub-resource of {@code …/logs?follow=true}: each line as an SSE {@code log} event, then one {@code end} event
 * ({@code {"reason": "finished" | "too_slow", "message"}}) and the stream closes: when the task has ended and
 * every line was sent, or when the client read too slowly and was dropped rather than buffered for.
 */
public class LogStream {

    private final Multi<LogEvent> events;

    LogStream(Multi<LogEvent> events) {
        this.events = events;
    }

    /** The {@code end} event's data. */
    public record End(String reason, String message) {
    }

    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public Multi<OutboundSseEvent> events(@Context Sse sse) {
        return events.map(e -> e.isEnd()
                ? sse.newEventBuilder().name("end").mediaType(MediaType.APPLICATION_JSON_TYPE)
                        .data(End.class, end(e.end())).build()
                : sse.newEventBuilder().name("log").data(e.line()).build());
    }

    static End end(String reason) {
        return new End(reason, LogEvent.TOO_SLOW.equals(reason)
                ? "the client read too slowly and was dropped; reconnect to follow again from the tail"
                : "the task has ended; every line was sent");
    }
}
