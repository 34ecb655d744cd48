package io.sage.studio.finetune.api;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

import io.sage.studio.finetune.progress.LogEvent;
import io.smallrye.mutiny.Multi;

/**
 * Sub-resource of {@code …/logs?follow=true}: each line as an SSE {@code log} event, then one {@code end} event
 * ({@code {"reason": "finished" | "too_slow", "message"}}) and the stream closes: when the task has ended and
 * every line was sent, or when the client read too slowly and was dropped rather than buffered for. A comment
 * ({@code : keep-alive}) every {@link TaskResource#HEARTBEAT} keeps a quiet stream from looking idle to proxies.
 */
public class LogStream {

    private final Multi<LogEvent> events;

    LogStream(Multi<LogEvent> events) {
        this.events = events;
    }

    /** The {@code end} event's data. */
    public record End(String reason, String message) {}

    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public Multi<OutboundSseEvent> events(@Context Sse sse) {
        OutboundSseEvent done = sse.newEventBuilder().comment("done").build();
        Multi<OutboundSseEvent> lines = events.map(e -> e.isEnd()
                        ? sse.newEventBuilder()
                                .name("end")
                                .mediaType(MediaType.APPLICATION_JSON_TYPE)
                                .data(End.class, end(e.end()))
                                .build()
                        : sse.newEventBuilder().name("log").data(e.line()).build())
                .onCompletion()
                .continueWith(done);
        // A quiet trainer must not look like a dead connection to proxies and the gateway's idle timeout; the
        // heartbeat stops with the last line (the marker is never sent), so the stream closes at once.
        Multi<OutboundSseEvent> heartbeat = Multi.createFrom()
                .ticks()
                .every(TaskResource.HEARTBEAT)
                .onOverflow()
                .drop()
                .map(tick -> sse.newEventBuilder().comment("keep-alive").build());
        return Multi.createBy().merging().streams(lines, heartbeat).select().first(event -> event != done);
    }

    static End end(String reason) {
        return new End(
                reason,
                LogEvent.TOO_SLOW.equals(reason)
                        ? "the client read too slowly and was dropped; reconnect to follow again from the tail"
                        : "the task has ended; every line was sent");
    }
}
